// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for DCEP (RFC 8832 §5), the DATA_CHANNEL_OPEN / DATA_CHANNEL_ACK messages
// a peer sends on PPID 50: `DCEPMessage.decode` sees whatever the remote end puts there, so it
// must take any bytes. Checked on every input (a violated property traps):
//
// - decode never traps, and what it accepts is canonical: encode(decode(x)) decodes to the
//   same message, and equals x byte for byte whenever x was already canonical (label and
//   protocol valid UTF-8, and no reliability parameter on a reliable channel type, which the
//   wire carries but the model drops);
// - a message built from the input (any label/protocol text, priority, each reliability
//   mode) survives encode → decode unchanged, and encodes to exactly 12 + label + protocol bytes.
//
// The checks live here rather than in ParleyRTC's FuzzChecks because everything they need is
// public. Entry through LLVMFuzzerRunDriver for the reason given in FuzzSTUN/main.swift.

import CLibFuzzer
import ParleyRTC

enum DCEPFuzz {
    static func run(_ input: [UInt8]) {
        checkDecode(input)
        checkRoundTrip(input)
    }

    /// Arbitrary bytes as a received DCEP message.
    static func checkDecode(_ bytes: [UInt8]) {
        guard let message = DCEPMessage.decode(bytes) else { return }
        let encoded = message.encode()
        precondition(DCEPMessage.decode(encoded) == message, "decode(encode(m)) != m for a decoded m")
        switch message {
        case .ack:
            precondition(bytes == [0x02], "ACK accepted from \(bytes)")
            precondition(encoded == bytes, "ACK re-encoded differently")
        case .open:
            precondition(bytes.count >= 12 && bytes[0] == 0x03, "OPEN accepted from a short or mistyped message")
            let labelLength = Int(bytes[8]) << 8 | Int(bytes[9])
            let label = bytes[12..<(12 + labelLength)]
            let proto = bytes[(12 + labelLength)...]
            let parameter = bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let canonical = String(validating: label, as: UTF8.self) != nil
                && String(validating: proto, as: UTF8.self) != nil
                && (bytes[1] & 0x7F != 0 || parameter == 0)
            if canonical { precondition(encoded == bytes, "canonical OPEN re-encoded differently") }
        }
    }

    /// A message made from the input: byte 0 picks the reliability mode (bit 0 ordered, bits 1–2
    /// reliable / max retransmits / max lifetime / ACK), bytes 1–2 the priority, 3–6 the
    /// parameter, byte 7 where label ends and protocol starts in the rest (decoded as UTF-8, so
    /// replacement characters and every other scalar can appear).
    static func checkRoundTrip(_ input: [UInt8]) {
        guard input.count >= 8 else { return }
        let ordered = input[0] & 1 == 0
        let priority = UInt16(input[1]) << 8 | UInt16(input[2])
        let parameter = input[3..<7].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let text = input[8...]
        let split = text.startIndex + min(Int(input[7]), text.count)
        let label = String(decoding: text[..<split], as: UTF8.self)
        let proto = String(decoding: text[split...], as: UTF8.self)
        // encode() truncates at the 16-bit length field; only a -max_len over 64 KiB gets there.
        guard label.utf8.count <= 0xFFFF, proto.utf8.count <= 0xFFFF else { return }
        let reliability: DataChannelReliability
        switch input[0] >> 1 & 3 {
        case 0: reliability = DataChannelReliability(ordered: ordered)
        case 1: reliability = DataChannelReliability(ordered: ordered, maxRetransmits: parameter)
        case 2: reliability = DataChannelReliability(ordered: ordered, maxPacketLifeTime: parameter)
        default:
            precondition(DCEPMessage.decode(DCEPMessage.ack.encode()) == .ack, "ACK does not round-trip")
            return
        }
        let message = DCEPMessage.open(label: label, protocol: proto, reliability: reliability, priority: priority)
        let encoded = message.encode()
        precondition(encoded.count == 12 + label.utf8.count + proto.utf8.count, "OPEN encoded to \(encoded.count) bytes")
        precondition(DCEPMessage.decode(encoded) == message, "encode → decode changed \(message)")
    }
}

var arguments = CommandLine.argc
var argumentValues: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&arguments, &argumentValues) { data, size in
        DCEPFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    })
