// SPDX-License-Identifier: Apache-2.0

/// Why an Opus encoder or decoder call failed.
///
/// Carries the libopus error class (`code`, mirroring the `OPUS_*` constants of RFC 6716's
/// reference implementation), which call failed (`operation`) and a precise `detail` phrase
/// ("frame size 961 is not 2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms at 48000 Hz"), so one
/// log line says what went wrong without a debugger. Arguments Parley can check itself are
/// checked in Swift before libopus sees them and reported with the same codes libopus would
/// use (`badArgument`, `bufferTooSmall`); libopus's own failures are mapped by `init(status:)`.
///
/// Errors are built only on failure paths, so the allocation of `detail` never touches the
/// per-frame hot path.
public struct OpusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The libopus error classes (`opus_defines.h`), plus `unknown` for a code this build
    /// does not know (a newer libopus may add some).
    public enum Code: Sendable, Hashable {
        /// `OPUS_BAD_ARG`: an argument is out of range (frame size, rate, channels, setting).
        case badArgument
        /// `OPUS_BUFFER_TOO_SMALL`: the output buffer cannot hold the result.
        case bufferTooSmall
        /// `OPUS_INTERNAL_ERROR`: libopus hit an internal inconsistency.
        case internalError
        /// `OPUS_INVALID_PACKET`: the packet is malformed (RFC 6716 section 3.4 rules), empty or corrupt.
        case invalidPacket
        /// `OPUS_UNIMPLEMENTED`: the request is not supported by this libopus.
        case unimplemented
        /// `OPUS_INVALID_STATE`: the encoder or decoder state is corrupt.
        case invalidState
        /// `OPUS_ALLOC_FAIL`: libopus could not allocate its state.
        case allocationFailed
        /// A negative status this build does not know.
        case unknown(Int32)

        /// Maps a negative libopus status code.
        public init(status: Int32) {
            switch status {
            case -1: self = .badArgument
            case -2: self = .bufferTooSmall
            case -3: self = .internalError
            case -4: self = .invalidPacket
            case -5: self = .unimplemented
            case -6: self = .invalidState
            case -7: self = .allocationFailed
            default: self = .unknown(status)
            }
        }

        /// The libopus status value (`OPUS_BAD_ARG` is -1, ...).
        public var status: Int32 {
            switch self {
            case .badArgument: -1
            case .bufferTooSmall: -2
            case .internalError: -3
            case .invalidPacket: -4
            case .unimplemented: -5
            case .invalidState: -6
            case .allocationFailed: -7
            case .unknown(let status): status
            }
        }

        /// The libopus constant's name, for logs that will be compared with libopus docs.
        public var constantName: String {
            switch self {
            case .badArgument: "OPUS_BAD_ARG"
            case .bufferTooSmall: "OPUS_BUFFER_TOO_SMALL"
            case .internalError: "OPUS_INTERNAL_ERROR"
            case .invalidPacket: "OPUS_INVALID_PACKET"
            case .unimplemented: "OPUS_UNIMPLEMENTED"
            case .invalidState: "OPUS_INVALID_STATE"
            case .allocationFailed: "OPUS_ALLOC_FAIL"
            case .unknown(let status): "opus error \(status)"
            }
        }

        /// What the code means, in the words a user would need.
        public var meaning: String {
            switch self {
            case .badArgument: "invalid argument"
            case .bufferTooSmall: "buffer too small"
            case .internalError: "libopus internal error"
            case .invalidPacket: "corrupted or invalid packet"
            case .unimplemented: "request not implemented by libopus"
            case .invalidState: "encoder/decoder state is invalid"
            case .allocationFailed: "memory allocation failed"
            case .unknown: "unknown libopus error"
            }
        }
    }

    /// The call that failed.
    public enum Operation: String, Sendable, Hashable {
        case createEncoder = "create encoder"
        case createDecoder = "create decoder"
        case configure = "configure"
        case query = "query"
        case encode = "encode"
        case decode = "decode"
        case conceal = "conceal"
        case decodeFEC = "decode FEC"
        case inspectPacket = "inspect packet"
    }

    public var code: Code
    public var operation: Operation
    /// A short phrase naming the offending value; empty when libopus gives nothing more than its code.
    public var detail: String

    public init(_ code: Code, _ operation: Operation, _ detail: String = "") {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    /// Wraps a negative libopus status returned by `operation`.
    public init(status: Int32, _ operation: Operation, _ detail: String = "") {
        self.init(Code(status: status), operation, detail)
    }

    /// `"Opus decode failed: corrupted or invalid packet (OPUS_INVALID_PACKET): <detail>"`.
    public var description: String {
        let head = "Opus \(operation.rawValue) failed: \(code.meaning) (\(code.constantName))"
        return detail.isEmpty ? head : "\(head): \(detail)"
    }
}
