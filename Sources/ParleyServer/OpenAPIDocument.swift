// SPDX-License-Identifier: Apache-2.0
// Hand-written OpenAPI 3.1 description of every route (keep in step with the routers;
// OpenAPITests fails when a registered route is missing here).

import Hummingbird

enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Parley session API",
  "version": "1.0.0",
  "description": "`parley serve`: creates LiveKit rooms, mints participant tokens, dispatches agents and tracks sessions. Errors are `{\"error\": {\"code\", \"message\", \"details?\"}}`. Browsers need `server.cors.allowed_origins`."
 },
 "security": [
  {
   "bearerAuth": []
  },
  {
   "apiKey": []
  }
 ],
 "paths": {
  "/healthz": {
   "get": {
    "operationId": "health",
    "summary": "The process answers.",
    "security": [],
    "tags": [
     "health"
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Health"
        }
       }
      }
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "operationId": "readiness",
    "summary": "The store and LiveKit's API answer.",
    "security": [],
    "tags": [
     "health"
    ],
    "responses": {
     "200": {
      "description": "Ready",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Readiness"
        }
       }
      }
     },
     "503": {
      "description": "Not ready",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Readiness"
        }
       }
      }
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "operationId": "metrics",
    "summary": "Prometheus metrics (text exposition format 0.0.4).",
    "security": [],
    "tags": [
     "health"
    ],
    "responses": {
     "200": {
      "description": "Metrics",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "404": {
      "description": "The server runs without metrics (`metrics_disabled`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "operationId": "openapi",
    "summary": "This document.",
    "security": [],
    "tags": [
     "health"
    ],
    "responses": {
     "200": {
      "description": "OpenAPI 3.1 document",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/v1/livekit/webhook": {
   "post": {
    "operationId": "livekitWebhook",
    "summary": "LiveKit webhook deliveries.",
    "tags": [
     "webhooks"
    ],
    "description": "`Authorization` carries a LiveKit access token signed with the API secret whose `sha256` claim is the base64 SHA-256 of the raw body. `room_finished` ends the room's active session (reason `room_finished`); participant events are recorded. Idempotent by event `id`.",
    "security": [
     {
      "livekitWebhook": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/webhook+json": {
       "schema": {
        "$ref": "#/components/schemas/WebhookEvent"
       }
      },
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/WebhookEvent"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Processed (or already processed)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/WebhookAnswer"
        }
       }
      }
     },
     "400": {
      "description": "Not a webhook event (`malformed_json`, `malformed_webhook`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Bad token, unknown key, expired, or body hash mismatch (`invalid_webhook_signature`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than `server.sessions.max_body_bytes` (`payload_too_large`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "415": {
      "description": "Not application/webhook+json (`unsupported_media_type`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The store is unavailable (`store_unavailable`); LiveKit retries.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/sessions": {
   "post": {
    "operationId": "createSession",
    "summary": "Create a session: room, caller token, agent dispatch.",
    "tags": [
     "sessions"
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateSessionRequest"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CreatedSession"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON (`malformed_json`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown or disabled agent profile (`agent_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The room already has an active session (`room_in_use`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than `server.sessions.max_body_bytes` (`payload_too_large`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "get": {
    "operationId": "listSessions",
    "summary": "The caller's sessions, newest first.",
    "tags": [
     "sessions"
    ],
    "parameters": [
     {
      "name": "include_ended",
      "in": "query",
      "schema": {
       "type": "boolean",
       "default": false
      }
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 500,
       "default": 100
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Sessions",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SessionList"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/sessions/{id}": {
   "get": {
    "operationId": "getSession",
    "summary": "A session's status, live participants and webhook-reported history.",
    "tags": [
     "sessions"
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The session",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The session belongs to another user (`forbidden`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown session or room (`session_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "delete": {
    "operationId": "endSession",
    "summary": "End a session (deletes the room; idempotent, the first reason wins).",
    "tags": [
     "sessions"
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "reason",
      "in": "query",
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{1,64}$",
       "default": "ended_by_user"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The ended session",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Session"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The session belongs to another user (`forbidden`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown session or room (`session_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/session": {
   "post": {
    "operationId": "seed004CreateSession",
    "summary": "Seed 004: create a session.",
    "tags": [
     "seed-compatible"
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Seed004CreateRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Seed004CreateResponse"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON (`malformed_json`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown or disabled agent profile (`agent_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The room already has an active session (`room_in_use`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than `server.sessions.max_body_bytes` (`payload_too_large`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/session/end": {
   "post": {
    "operationId": "seed004EndSession",
    "summary": "Seed 004: end the caller's session in a room.",
    "tags": [
     "seed-compatible"
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Seed004EndRequest"
       }
      }
     }
    },
    "responses": {
     "204": {
      "description": "Ended"
     },
     "400": {
      "description": "Malformed JSON (`malformed_json`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The session belongs to another user (`forbidden`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown session or room (`session_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/video/create-room": {
   "post": {
    "operationId": "seed000CreateRoom",
    "summary": "Seed 000: a video session for a counselor category.",
    "tags": [
     "seed-compatible"
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Seed000Request"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Seed000Response"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON (`malformed_json`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown or disabled agent profile (`agent_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than `server.sessions.max_body_bytes` (`payload_too_large`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/voice-sessions/start": {
   "post": {
    "operationId": "seed001Start",
    "summary": "Seed 001: start a voice session.",
    "tags": [
     "seed-compatible"
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Seed001StartRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Seed001StartResponse"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON (`malformed_json`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown or disabled agent profile (`agent_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The room already has an active session (`room_in_use`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than `server.sessions.max_body_bytes` (`payload_too_large`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/voice-sessions/active": {
   "get": {
    "operationId": "seed001Active",
    "summary": "Seed 001: the caller's active sessions.",
    "tags": [
     "seed-compatible"
    ],
    "responses": {
     "200": {
      "description": "Sessions",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Seed001Active"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/voice-sessions/{room_name}/status": {
   "get": {
    "operationId": "seed001Status",
    "summary": "Seed 001: a session's status.",
    "tags": [
     "seed-compatible"
    ],
    "parameters": [
     {
      "name": "room_name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{1,128}$"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Status",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Seed001Status"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The session belongs to another user (`forbidden`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown session or room (`session_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/voice-sessions/{room_name}": {
   "delete": {
    "operationId": "seed001End",
    "summary": "Seed 001: end a session.",
    "tags": [
     "seed-compatible"
    ],
    "parameters": [
     {
      "name": "room_name",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[A-Za-z0-9_-]{1,128}$"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "Ended",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Seed001End"
        }
       }
      }
     },
     "401": {
      "description": "Missing, malformed, expired or wrongly signed credentials (`unauthenticated`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The session belongs to another user (`forbidden`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown session or room (`session_not_found`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, or not allowed (`missing_field`, `invalid_field`, `unknown_fields`, `unknown_agent_config_keys`, `invalid_identity`).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "502": {
      "description": "LiveKit refused a call (`livekit_error`); the room was cleaned up and nothing stored.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "LiveKit or the store is unreachable (`livekit_unavailable`, `store_unavailable`); nothing was created.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string",
        "description": "Stable machine-readable code."
       },
       "message": {
        "type": "string"
       },
       "details": {
        "type": "array",
        "items": {
         "type": "string"
        },
        "description": "The fields or keys the error is about."
       }
      }
     }
    }
   },
   "AgentConfig": {
    "type": "object",
    "additionalProperties": false,
    "description": "Per-session overrides (the seed-004 dispatch-metadata contract). Unknown keys are a 422 naming them.",
    "properties": {
     "stt": {
      "type": "string"
     },
     "tts": {
      "type": "string"
     },
     "llm": {
      "type": "string"
     },
     "prompt": {
      "type": "string"
     },
     "greeting": {
      "type": "string"
     },
     "realtime_model": {
      "type": "string"
     },
     "realtime_voice": {
      "type": "string"
     },
     "noise_cancellation_type": {
      "type": "string"
     },
     "realtime": {
      "type": "boolean"
     },
     "vad_enabled": {
      "type": "boolean"
     },
     "turn_detection_enabled": {
      "type": "boolean"
     },
     "noise_cancellation_enabled": {
      "type": "boolean"
     }
    }
   },
   "CreateSessionRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "agent"
    ],
    "properties": {
     "mode": {
      "type": "string",
      "enum": [
       "voice",
       "video"
      ],
      "default": "voice"
     },
     "agent": {
      "type": "string",
      "description": "An agent profile name (or its category_id)."
     },
     "room_name": {
      "type": "string",
      "pattern": "^[A-Za-z0-9_-]{1,128}$"
     },
     "agent_config": {
      "$ref": "#/components/schemas/AgentConfig"
     }
    }
   },
   "CreatedSession": {
    "type": "object",
    "required": [
     "session_id",
     "room_name",
     "livekit_url",
     "participant_token",
     "participant_identity",
     "expires_at",
     "agent_dispatched",
     "agent",
     "mode",
     "config"
    ],
    "properties": {
     "session_id": {
      "type": "string"
     },
     "room_name": {
      "type": "string"
     },
     "livekit_url": {
      "type": "string"
     },
     "participant_token": {
      "type": "string",
      "description": "LiveKit access token for the caller (shown once)."
     },
     "participant_identity": {
      "type": "string"
     },
     "expires_at": {
      "type": "string",
      "format": "date-time"
     },
     "agent_dispatched": {
      "type": "boolean"
     },
     "agent": {
      "type": "string"
     },
     "mode": {
      "type": "string",
      "enum": [
       "voice",
       "video"
      ]
     },
     "config": {
      "type": "object",
      "description": "The effective agent_config without the operator's prompt."
     }
    }
   },
   "Participant": {
    "type": "object",
    "required": [
     "identity",
     "kind",
     "agent",
     "connected"
    ],
    "properties": {
     "identity": {
      "type": "string"
     },
     "kind": {
      "type": "string",
      "description": "LiveKit ParticipantInfo.Kind (STANDARD, AGENT, SIP, …)."
     },
     "agent": {
      "type": "boolean"
     },
     "connected": {
      "type": "boolean"
     },
     "joined_at": {
      "type": "string",
      "format": "date-time"
     },
     "left_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "Session": {
    "type": "object",
    "required": [
     "session_id",
     "status",
     "room_name",
     "agent",
     "mode",
     "participant_identity",
     "created_at",
     "token_expires_at",
     "config"
    ],
    "properties": {
     "session_id": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "active",
       "ended"
      ]
     },
     "room_name": {
      "type": "string"
     },
     "agent": {
      "type": "string"
     },
     "mode": {
      "type": "string",
      "enum": [
       "voice",
       "video"
      ]
     },
     "participant_identity": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "token_expires_at": {
      "type": "string",
      "format": "date-time"
     },
     "ended_at": {
      "type": "string",
      "format": "date-time"
     },
     "end_reason": {
      "type": "string",
      "description": "ended_by_user, room_finished (LiveKit webhook), reconciled (room gone at start), or the caller's reason."
     },
     "participants": {
      "type": [
       "array",
       "null"
      ],
      "items": {
       "type": "string"
      },
      "description": "Identities in the room now (GET only; null when LiveKit cannot be asked)."
     },
     "agent_connected": {
      "type": [
       "boolean",
       "null"
      ]
     },
     "participant_history": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Participant"
      },
      "description": "Participants as LiveKit webhooks reported them (GET only)."
     },
     "config": {
      "type": "object"
     }
    }
   },
   "SessionList": {
    "type": "object",
    "required": [
     "sessions"
    ],
    "properties": {
     "sessions": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Session"
      }
     }
    }
   },
   "Health": {
    "type": "object",
    "required": [
     "status"
    ],
    "properties": {
     "status": {
      "type": "string",
      "enum": [
       "ok"
      ]
     }
    }
   },
   "Readiness": {
    "type": "object",
    "required": [
     "status",
     "store",
     "livekit"
    ],
    "properties": {
     "status": {
      "type": "string",
      "enum": [
       "ready",
       "not_ready"
      ]
     },
     "store": {
      "type": "string",
      "enum": [
       "ok",
       "failing"
      ]
     },
     "livekit": {
      "type": "string",
      "enum": [
       "ok",
       "failing"
      ]
     }
    }
   },
   "WebhookEvent": {
    "type": "object",
    "required": [
     "event"
    ],
    "description": "LiveKit's WebhookEvent in protojson (camelCase or proto field names).",
    "properties": {
     "event": {
      "type": "string",
      "examples": [
       "room_started",
       "room_finished",
       "participant_joined",
       "participant_left",
       "track_published"
      ]
     },
     "id": {
      "type": "string"
     },
     "createdAt": {
      "type": [
       "string",
       "integer"
      ]
     },
     "room": {
      "type": "object",
      "properties": {
       "name": {
        "type": "string"
       },
       "sid": {
        "type": "string"
       }
      }
     },
     "participant": {
      "type": "object",
      "properties": {
       "identity": {
        "type": "string"
       },
       "kind": {
        "type": [
         "string",
         "integer"
        ]
       }
      }
     },
     "track": {
      "type": "object"
     }
    }
   },
   "WebhookAnswer": {
    "type": "object",
    "required": [
     "status"
    ],
    "properties": {
     "status": {
      "type": "string",
      "enum": [
       "applied",
       "recorded",
       "duplicate",
       "no_session"
      ]
     },
     "session_id": {
      "type": "string"
     }
    }
   },
   "Seed004CreateRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "userIdentity"
    ],
    "properties": {
     "userIdentity": {
      "type": "string",
      "pattern": "^[A-Za-z0-9_-]{1,128}$"
     },
     "roomName": {
      "type": "string",
      "pattern": "^[A-Za-z0-9_-]{1,128}$"
     },
     "agentConfig": {
      "$ref": "#/components/schemas/AgentConfig"
     }
    }
   },
   "Seed004CreateResponse": {
    "type": "object",
    "required": [
     "userToken",
     "roomName",
     "livekitUrl",
     "agentDispatched",
     "agentConfig"
    ],
    "properties": {
     "userToken": {
      "type": "string"
     },
     "roomName": {
      "type": "string"
     },
     "livekitUrl": {
      "type": "string"
     },
     "agentDispatched": {
      "type": "boolean"
     },
     "agentConfig": {
      "type": "object",
      "description": "stt, tts, llm and realtime as applied."
     }
    }
   },
   "Seed004EndRequest": {
    "type": "object",
    "required": [
     "roomName"
    ],
    "properties": {
     "roomName": {
      "type": "string"
     }
    }
   },
   "Seed000Request": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "counselor_category"
    ],
    "properties": {
     "counselor_category": {
      "type": "string",
      "description": "A profile name or its category_id."
     }
    }
   },
   "Seed000Response": {
    "type": "object",
    "required": [
     "room_url",
     "access_token",
     "room_name",
     "session_id"
    ],
    "properties": {
     "room_url": {
      "type": "string"
     },
     "access_token": {
      "type": "string"
     },
     "room_name": {
      "type": "string"
     },
     "session_id": {
      "type": "string",
      "format": "uuid"
     }
    }
   },
   "Seed001StartRequest": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "agent_type": {
      "type": "string",
      "default": "general",
      "description": "A profile name."
     }
    }
   },
   "Seed001StartResponse": {
    "type": "object",
    "required": [
     "room_name",
     "token",
     "livekit_url",
     "agent_type",
     "expires_at"
    ],
    "properties": {
     "room_name": {
      "type": "string"
     },
     "token": {
      "type": "string"
     },
     "livekit_url": {
      "type": "string"
     },
     "agent_type": {
      "type": "string"
     },
     "expires_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "Seed001Status": {
    "type": "object",
    "required": [
     "room_name",
     "active",
     "participants",
     "agent_connected"
    ],
    "properties": {
     "room_name": {
      "type": "string"
     },
     "active": {
      "type": "boolean"
     },
     "participants": {
      "type": "integer"
     },
     "agent_connected": {
      "type": "boolean"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "Seed001End": {
    "type": "object",
    "required": [
     "status",
     "room_name"
    ],
    "properties": {
     "status": {
      "type": "string",
      "enum": [
       "ended"
      ]
     },
     "room_name": {
      "type": "string"
     }
    }
   },
   "Seed001Active": {
    "type": "object",
    "required": [
     "sessions"
    ],
    "properties": {
     "sessions": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "room_name",
        "participants",
        "created_at"
       ],
       "properties": {
        "room_name": {
         "type": "string"
        },
        "agent_type": {
         "type": "string"
        },
        "participants": {
         "type": "integer"
        },
        "created_at": {
         "type": "string",
         "format": "date-time"
        }
       }
      }
     }
    }
   }
  },
  "securitySchemes": {
   "bearerAuth": {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "JWT from the operator's identity provider (HS256 with auth.jwt.hs256_secret, RS256/ES256 with auth.jwt.jwks_file); `sub` is the user id."
   },
   "apiKey": {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "Static server-to-server key (also accepted as a Bearer credential)."
   },
   "livekitWebhook": {
    "type": "apiKey",
    "in": "header",
    "name": "Authorization",
    "description": "LiveKit-signed token with the body's sha256."
   }
  }
 }
}
"""#

    static func register(on router: Router<ServerRequestContext>) {
        router.get("openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
        }
    }
}
