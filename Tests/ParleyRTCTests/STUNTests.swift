// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// RFC 5769 test vectors (Copyright (c) 2010 IETF Trust and the persons identified as the
/// document authors; Simplified BSD License). The padding of SOFTWARE and USERNAME in
/// §2.1–2.3 is 0x20 on purpose: RFC 5769 uses it to catch implementations that MAC the
/// padding wrongly.
enum RFC5769 {
    static let password = "VOkJxbRl1RmTxUk/WvJxBt"
    static let transactionID = STUNTransactionID(bytes: hexBytes("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"))!

    /// §2.1 Sample Request.
    static let request = hexBytes("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    /// §2.2 Sample IPv4 Response.
    static let ipv4Response = hexBytes("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    /// §2.3 Sample IPv6 Response.
    static let ipv6Response = hexBytes("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)

    /// §2.4 Sample Request with Long-Term Authentication. Username is "マトリックス"
    /// (already SASLprep'd), password "TheMatrIX" (SASLprep of "The<U+00AD>M<U+00AA>trIX"),
    /// realm "example.org", nonce "f//499k954d6OL34oL9FSTvy64sA".
    static let longTermRequest = hexBytes("""
        00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66
        """)
}

@Suite("STUN: RFC 5769 test vectors")
struct STUNVectorTests {
    let key = STUNIntegrityKey.shortTerm(password: RFC5769.password)

    @Test("§2.1 sample request decodes and verifies integrity and fingerprint")
    func sampleRequest() throws {
        let message = try STUNMessage.decode(RFC5769.request, integrityKey: key)
        #expect(message.type == .bindingRequest)
        #expect(message.transactionID == RFC5769.transactionID)
        #expect(message.software == "STUN test client")
        #expect(message.priority == 0x6E00_01FF)
        #expect(message.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(message.username == "evtj:h6vY")
        #expect(message.attributes.map(\.type) == [
            .software, .priority, .iceControlled, .username, .messageIntegrity, .fingerprint,
        ])
    }

    @Test("§2.1 sample request re-encodes byte for byte from its typed attributes")
    func sampleRequestEncodes() throws {
        let message = STUNMessage(
            type: .bindingRequest, transactionID: RFC5769.transactionID,
            attributes: [
                .software("STUN test client"), .priority(0x6E00_01FF),
                .iceControlled(tieBreaker: 0x932F_F9B1_5126_3B36), .username("evtj:h6vY"),
            ])
        let bytes = try message.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20)
        #expect(bytes == RFC5769.request)
    }

    @Test("§2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, byte-exact re-encode")
    func ipv4Response() throws {
        let message = try STUNMessage.decode(RFC5769.ipv4Response, integrityKey: key)
        #expect(message.type == .bindingSuccess)
        #expect(message.software == "test vector")
        #expect(message.xorMappedAddress == TransportAddress(address: IPAddress("192.0.2.1")!, port: 32853))
        let rebuilt = STUNMessage(
            type: .bindingSuccess, transactionID: RFC5769.transactionID,
            attributes: [.software("test vector"), .xorMappedAddress(message.xorMappedAddress!)])
        #expect(try rebuilt.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv4Response)
    }

    @Test("§2.3 IPv6 response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853, byte-exact re-encode")
    func ipv6Response() throws {
        let message = try STUNMessage.decode(RFC5769.ipv6Response, integrityKey: key)
        let expected = TransportAddress(address: IPAddress("2001:db8:1234:5678:11:2233:4455:6677")!, port: 32853)
        #expect(message.xorMappedAddress == expected)
        let rebuilt = STUNMessage(
            type: .bindingSuccess, transactionID: RFC5769.transactionID,
            attributes: [.software("test vector"), .xorMappedAddress(expected)])
        #expect(try rebuilt.encode(integrityKey: key, fingerprint: true, paddingByte: 0x20) == RFC5769.ipv6Response)
    }

    @Test("§2.4 long-term credential request verifies with MD5(user:realm:pass), byte-exact re-encode")
    func longTermRequest() throws {
        let key = STUNIntegrityKey.longTerm(username: "マトリックス", realm: "example.org", password: "TheMatrIX")
        let message = try STUNMessage.decode(RFC5769.longTermRequest, integrityKey: key, requireFingerprint: false)
        #expect(message.username == "マトリックス")
        #expect(message.attribute(.nonce) == .nonce("f//499k954d6OL34oL9FSTvy64sA"))
        #expect(message.attribute(.realm) == .realm("example.org"))
        var unsigned = message
        unsigned.attributes.removeAll { $0.type == .messageIntegrity }
        #expect(try unsigned.encode(integrityKey: key) == RFC5769.longTermRequest)
    }

    @Test("a wrong password fails integrity; one flipped bit fails the fingerprint")
    func tamperDetection() throws {
        #expect(throws: STUNError.integrityMismatch(.messageIntegrity)) {
            try STUNMessage.verifyIntegrity(RFC5769.request, key: .shortTerm(password: "wrong"))
        }
        var flipped = RFC5769.request
        flipped[30] ^= 0x01  // inside SOFTWARE
        #expect(throws: STUNError.fingerprintMismatch(expected: CRC32.checksum(flipped[..<100]) ^ 0x5354_554E, found: 0xE57A_3BCF)) {
            try STUNMessage.verifyFingerprint(flipped)
        }
        #expect(throws: STUNError.integrityMismatch(.messageIntegrity)) {
            try STUNMessage.verifyIntegrity(flipped, key: key)
        }
    }
}

@Suite("STUN: encoding, decoding and errors")
struct STUNCodecTests {
    let tid = STUNTransactionID(high: 0x0102_0304, low: 0x0506_0708_090A_0B0C)

    @Test("message type interleaves method and class bits (RFC 8489 §5)")
    func messageType() {
        #expect(STUNMessageType.bindingRequest.rawValue == 0x0001)
        #expect(STUNMessageType.bindingIndication.rawValue == 0x0011)
        #expect(STUNMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(STUNMessageType.bindingError.rawValue == 0x0111)
        #expect(STUNMessageType(method: .allocate, class: .request).rawValue == 0x0003)
        for raw in UInt16(0)...0x3FFF {
            #expect(STUNMessageType(rawValue: raw).rawValue == raw)
        }
    }

    @Test("an ICE check with every ICE attribute round-trips with SHA-1 and SHA-256 integrity")
    func iceCheckRoundTrip() throws {
        let key = STUNIntegrityKey.shortTerm(password: "2ulHIztzrnsKQ9pKV80o1r")
        let message = STUNMessage(
            type: .bindingRequest, transactionID: tid,
            attributes: [
                .username("6dR0:LRIu"), .priority(1_853_817_087), .iceControlling(tieBreaker: 0xDEAD_BEEF_CAFE_F00D),
                .useCandidate, .software("Parley"),
            ])
        let bytes = try message.encode(integrityKey: key, algorithms: [.sha1, .sha256], fingerprint: true)
        #expect(isSTUN(bytes))
        let decoded = try STUNMessage.decode(bytes, integrityKey: key)
        try STUNMessage.verifyIntegrity(bytes, key: key, algorithm: .sha256)
        #expect(Array(decoded.attributes.prefix(5)) == message.attributes)
        #expect(decoded.attributes.map(\.type).suffix(3) == [.messageIntegrity, .messageIntegritySHA256, .fingerprint])
        #expect(decoded.useCandidate)
        #expect(decoded.iceControlling == 0xDEAD_BEEF_CAFE_F00D)
    }

    @Test("487 Role Conflict error response with XOR-MAPPED-ADDRESS and UNKNOWN-ATTRIBUTES")
    func errorResponse() throws {
        let message = STUNMessage(
            type: .bindingError, transactionID: tid,
            attributes: [.errorCode(.roleConflict), .unknownAttributes([STUNAttributeType(rawValue: 0x0031)])])
        let bytes = try message.encode(fingerprint: true)
        let decoded = try STUNMessage.decode(bytes)
        #expect(decoded.errorCode == STUNErrorCode(code: 487, reason: "Role Conflict"))
        #expect(decoded.attributes.first == message.attributes.first)
        // ERROR-CODE layout: 21 reserved bits, class 4, number 87.
        #expect(Array(bytes[24..<28]) == [0, 0, 4, 87])
    }

    @Test("MAPPED-ADDRESS IPv6 and an unknown comprehension-required attribute")
    func mappedAndUnknown() throws {
        let address = TransportAddress(address: IPAddress("fd00::2")!, port: 46676)
        let message = STUNMessage(
            type: .bindingSuccess, transactionID: tid,
            attributes: [.mappedAddress(address), .other(type: STUNAttributeType(rawValue: 0x0031), value: [1, 2, 3])])
        let decoded = try STUNMessage.decode(try message.encode())
        #expect(decoded == message)
        #expect(decoded.unknownComprehensionRequired == [STUNAttributeType(rawValue: 0x0031)])
    }

    @Test("attributes after MESSAGE-INTEGRITY are ignored, except FINGERPRINT (RFC 8489 §14.5)")
    func afterIntegrityIgnored() throws {
        var bytes = try STUNMessage(type: .bindingRequest, transactionID: tid, attributes: [.username("a:b")])
            .encode(integrityKey: .shortTerm(password: "pw"))
        // Append a SOFTWARE attribute after the MAC and fix the length.
        bytes += [0x80, 0x22, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64]
        bytes.setBE16(UInt16(bytes.count - 20), at: 2)
        let decoded = try STUNMessage.decode(bytes)
        #expect(decoded.attributes.map(\.type) == [.username, .messageIntegrity])
        try STUNMessage.verifyIntegrity(bytes, key: .shortTerm(password: "pw"))
    }

    @Test("precise decoding errors", arguments: [
        ([UInt8](repeating: 0, count: 19), STUNError.tooShort(length: 19)),
        (hexBytes("80 01 00 00 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00"), .notSTUN(firstByte: 0x80)),
        (hexBytes("00 01 00 00 21 12 a4 43 00 00 00 00 00 00 00 00 00 00 00 00"), .badMagicCookie(0x2112_A443)),
        (hexBytes("00 01 00 02 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), .lengthNotMultipleOfFour(2)),
        (hexBytes("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 06 00 00"), .lengthMismatch(declared: 8, actual: 4)),
        (hexBytes("00 01 00 04 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 06 00 05"),
         .attributeTruncated(.username, offset: 20, length: 5, available: 0)),
        (hexBytes("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 24 00 03 00 00 00 00"),
         .invalidAttributeLength(.priority, length: 3, expected: "4")),
        (hexBytes("00 01 00 0c 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 20 00 08 00 03 00 00 00 00 00 00"),
         .invalidAddressFamily(.xorMappedAddress, family: 3)),
        (hexBytes("00 01 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 06 00 02 ff fe 00 00"),
         .invalidUTF8(.username)),
        (hexBytes("01 11 00 08 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 09 00 04 00 00 07 01"),
         .invalidErrorCode(errorClass: 7, number: 1)),
        (hexBytes("00 01 00 10 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 80 28 00 04 00 00 00 00 00 25 00 00 00 25 00 00"),
         .attributeAfterFingerprint(.useCandidate, offset: 28)),
        (hexBytes("00 01 00 0c 21 12 a4 42 00 00 00 00 00 00 00 00 00 00 00 00 00 20 00 08 00 02 00 00 00 00 00 00"),
         .invalidAttributeLength(.xorMappedAddress, length: 8, expected: "20 for IPv6")),
    ])
    func decodingErrors(bytes: [UInt8], expected: STUNError) {
        #expect(throws: expected) { try STUNMessage.decode(bytes) }
    }

    @Test("error descriptions say what and where")
    func errorDescriptions() {
        #expect(STUNError.attributeTruncated(.username, offset: 20, length: 5, available: 0).description
            == "USERNAME at byte 20 declares 5 bytes (padded to 4) but only 0 remain")
        #expect(STUNError.badMagicCookie(0x2112_A443).description == "magic cookie is 0x2112a443, not 0x2112a442 (RFC 8489 §5)")
    }

    @Test("verification errors: missing MAC, missing fingerprint")
    func verificationErrors() throws {
        let bytes = try STUNMessage(type: .bindingRequest, transactionID: tid).encode()
        #expect(throws: STUNError.missingMessageIntegrity(.messageIntegrity)) {
            try STUNMessage.verifyIntegrity(bytes, key: .shortTerm(password: "x"))
        }
        #expect(throws: STUNError.missingFingerprint) { try STUNMessage.verifyFingerprint(bytes) }
        #expect(throws: STUNError.missingFingerprint) { try STUNMessage.decode(bytes, integrityKey: nil) }
    }

    @Test("encoding rejects values that do not fit")
    func encodingErrors() {
        let long = String(repeating: "x", count: 600)
        #expect(throws: STUNError.valueTooLong(.username, length: 600, limit: 512)) {
            try STUNMessage(type: .bindingRequest, transactionID: tid, attributes: [.username(long)]).encode()
        }
        #expect(throws: STUNError.invalidErrorCode(errorClass: 7, number: 0)) {
            try STUNMessage(type: .bindingError, transactionID: tid, attributes: [.errorCode(STUNErrorCode(code: 700))]).encode()
        }
    }

    @Test("isSTUN and the RFC 7983 demultiplexer")
    func demux() {
        #expect(isSTUN(RFC5769.request))
        #expect(!isSTUN(Array(RFC5769.request.dropLast())))
        #expect(PacketDemux.classify(RFC5769.request) == .stun)
        #expect(PacketDemux.classify([22, 254, 253]) == .dtls)
        #expect(PacketDemux.classify([0x80, 111]) == .rtp)
        #expect(PacketDemux.classify([0x80, 200]) == .rtcp)
        #expect(PacketDemux.classify([0x81, 205]) == .rtcp)
        #expect(PacketDemux.classify([0x40, 0]) == .turnChannel)
        #expect(PacketDemux.classify([255]) == .unknown)
        #expect(PacketDemux.classify([UInt8]()) == .unknown)
    }

    @Test("CRC-32 check value and HMAC-SHA1 (RFC 2202 case 2)")
    func primitives() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Digest.hmacSHA1(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
            == hexBytes("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"))
    }
}
