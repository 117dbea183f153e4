// SPDX-License-Identifier: Apache-2.0

import Hummingbird
import ParleyLiveKit

extension APIError {
    /// A LiveKit API failure as the caller sees it: 503 `livekit_unavailable` when LiveKit could not
    /// be reached or said it is unavailable (retry later), 502 `livekit_error` when it answered with
    /// an error. Only the Twirp code is passed on, never LiveKit's message text.
    static func livekit(_ error: LiveKitAPIError, during step: String) -> APIError {
        if error.transportFailure != nil || error.code == .unavailable || error.code == .deadlineExceeded
            || error.httpStatus == 503 {
            return APIError(.serviceUnavailable, "livekit_unavailable",
                            "LiveKit is unreachable (\(step)); nothing was created, retry later")
        }
        return APIError(.badGateway, "livekit_error", "LiveKit refused \(step) (\(error.code.rawValue)); nothing was created")
    }
}
