// SPDX-License-Identifier: Apache-2.0

/// A session description (RFC 8866) as WebRTC uses it (JSEP, RFC 8829/9429): session-level
/// lines, then one `MediaDescription` per m-section.
///
/// ```
/// v=0                              version
/// o=- 4611731400430051336 2 IN IP4 127.0.0.1   origin
/// s=-                              session name
/// t=0 0                            timing
/// a=group:BUNDLE 0 1               session attributes (SDPAttribute, in order)
/// m=audio 9 UDP/TLS/RTP/SAVPF 111  media sections (MediaDescription)
/// a=mid:0 …
/// ```
///
/// `SessionDescription(parsing:)` accepts CRLF or bare LF line endings (RFC 8866 §5 asks
/// parsers to be tolerant) and reports every problem with the line number and the line;
/// `serialize()` writes CRLF text in RFC 8866 §5 order that parses back to an equal value.
/// Attributes keep their order and unknown ones are preserved, so a description can be
/// parsed, edited through the typed accessors and written back without losing anything.
public struct SessionDescription: SDPAttributeList, Sendable, Hashable, CustomStringConvertible {
    /// Always 0 (RFC 8866 §5.1).
    public var version: Int
    public var origin: SDPOrigin
    /// `-` in WebRTC (RFC 8829 §5.2.1).
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var emails: [String]
    public var phones: [String]
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    /// At least one `t=` line is required (RFC 8866 §5.9).
    public var timings: [SDPTiming]
    public var timeZones: String?
    public var encryptionKey: String?
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(
        origin: SDPOrigin, sessionName: String = "-", timings: [SDPTiming] = [SDPTiming()],
        attributes: [SDPAttribute] = [], media: [MediaDescription] = []
    ) {
        version = 0
        self.origin = origin
        self.sessionName = sessionName
        information = nil
        uri = nil
        emails = []
        phones = []
        connection = nil
        bandwidths = []
        self.timings = timings
        timeZones = nil
        encryptionKey = nil
        self.attributes = attributes
        self.media = media
    }

    // MARK: Session accessors

    public var groups: [SDPGroup] {
        get { attributeValues { if case .group(let v) = $0 { v } else { nil } } }
        set { replaceAttributes(where: { if case .group = $0 { true } else { false } }, with: newValue.map { .group($0) }) }
    }

    /// The first BUNDLE group (RFC 8843 §7): its first mid is the offerer-tagged section
    /// whose transport every bundled section uses.
    public var bundleGroup: SDPGroup? {
        groups.first { $0.semantics.uppercased() == "BUNDLE" }
    }

    public var msidSemantic: SDPMsidSemantic? {
        get { attributeValues { if case .msidSemantic(let v) = $0 { v } else { nil } }.first }
        set {
            replaceAttributes(
                where: { if case .msidSemantic = $0 { true } else { false } }, with: newValue.map { [.msidSemantic($0)] } ?? [])
        }
    }

    /// The section with this mid.
    public func media(mid: String) -> MediaDescription? {
        media.first { $0.mid == mid }
    }

    /// ICE credentials for a section: its own, else the session's (RFC 8839 §5.4 allows both).
    public func iceCredentials(for section: MediaDescription) -> (ufrag: String, pwd: String)? {
        guard let ufrag = section.iceUfrag ?? iceUfrag, let pwd = section.icePwd ?? icePwd else { return nil }
        return (ufrag, pwd)
    }

    /// DTLS fingerprints for a section: its own, else the session's (RFC 8122 §5; LiveKit
    /// writes them at session level).
    public func fingerprints(for section: MediaDescription) -> [SDPFingerprint] {
        section.fingerprints.isEmpty ? fingerprints : section.fingerprints
    }

    /// The setup role for a section: its own, else the session's.
    public func setup(for section: MediaDescription) -> SDPSetupRole? {
        section.setup ?? setup
    }

    public var description: String { serialize() }
}
