// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
import ParleyCore
import ParleyRTC
import Synchronization
@testable import ParleyWebRTC

/// 20 ms of a sine tone (amplitude 0.4) of `frequency` Hz starting at sample `offset`.
func toneFrame(offset: Int, frequency: Double) -> [Int16] {
    (0..<960).map { Int16(0.4 * 32767 * sin(2 * Double.pi * frequency * Double(offset + $0) / 48_000)) }
}

/// Pushes a tone into `track` in real time (one frame per 20 ms) until cancelled.
func playTone(_ track: LocalAudioTrack, frequency: Double) -> Task<Void, Never> {
    Task.detached {
        var offset = 0
        var next = ContinuousClock.now
        while !Task.isCancelled {
            track.push(toneFrame(offset: offset, frequency: frequency))
            offset += 960
            next += .milliseconds(20)
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Everything one `PeerConnection` reports through its handlers.
final class ConnectionRecorder: Sendable {
    let tracks = Mutex<[RemoteAudioTrack: [Int16]]>([:])
    let added = Mutex<[RemoteAudioTrack]>([])
    let ended = Mutex<[RemoteAudioTrack]>([])
    let firstTrackAudio = Mutex<[Int16]>([])
    let states = Mutex<[PeerConnectionState]>([])
    let messages = Mutex<[String: [[UInt8]]]>([:])
    let channels = Mutex<[DataChannel]>([])

    func attach(to pc: PeerConnection) {
        pc.onConnectionStateChange = { [self] state in states.withLock { $0.append(state) } }
        pc.onRemoteAudioTrack = { [self] track in added.withLock { $0.append(track) } }
        pc.onRemoteAudioTrackEnded = { [self] track in ended.withLock { $0.append(track) } }
        pc.onRemoteAudioFrame = { [self] track, frame in
            frame.withSamples { pcm in tracks.withLock { $0[track, default: []].append(contentsOf: pcm) } }
        }
        pc.onAudioFrame = { [self] frame in
            frame.withSamples { pcm in firstTrackAudio.withLock { $0.append(contentsOf: pcm) } }
        }
        pc.onDataChannel = { [self] channel in
            channels.withLock { $0.append(channel) }
            record(channel)
        }
    }

    /// Records the binary messages arriving on `channel` under its label.
    func record(_ channel: DataChannel) {
        let label = channel.label
        channel.onMessage = { [self] message in
            if case .binary(let bytes) = message { messages.withLock { $0[label, default: []].append(bytes) } }
        }
    }

    func samples(_ track: RemoteAudioTrack) -> [Int16] { tracks.withLock { $0[track] ?? [] } }
    func count(_ track: RemoteAudioTrack) -> Int { tracks.withLock { $0[track]?.count ?? 0 } }
    func messageCount(_ label: String) -> Int { messages.withLock { $0[label]?.count ?? 0 } }
}

/// The SNR of the last `seconds` of `samples` as a `frequency` tone, nil if too little tone.
func toneSNR(_ samples: [Int16], frequency: Double, lastSeconds: Double = 2) -> ToneQuality? {
    let tail = Array(samples.suffix(Int(lastSeconds * 48_000)))
    return ToneQuality(tail, frequency: frequency, skip: 0, window: tail.count, minimum: 24_000)
}

/// Two Parley peer connections on 127.0.0.1 that trickle candidates to each other. Candidates
/// hop through a serial queue so neither connection's queue waits on the other's.
final class LoopbackPair: Sendable {
    let a: PeerConnection
    let b: PeerConnection
    private let trickle = DispatchQueue(label: "test.trickle")

    init(_ configure: (inout PeerConnectionConfiguration) -> Void = { _ in }) throws {
        var configuration = PeerConnectionConfiguration()
        configuration.hostAddresses = [IPAddress("127.0.0.1")!]
        configuration.dtlsInitialRetransmitTimeout = .milliseconds(200)
        configure(&configuration)
        a = try PeerConnection(configuration: configuration)
        b = try PeerConnection(configuration: configuration)
    }

    /// Wires candidates both ways; call after the recorders attached (they set other handlers).
    func connectCandidates() {
        let trickle = trickle
        let weakA = WeakBox(a)
        let weakB = WeakBox(b)
        a.onLocalCandidate = { candidate in trickle.async { try? weakB.value?.addIceCandidate(candidate) } }
        b.onLocalCandidate = { candidate in trickle.async { try? weakA.value?.addIceCandidate(candidate) } }
    }

    /// One offer/answer: `offerer` creates and sets its offer, `answerer` applies it and
    /// answers, `offerer` applies the answer. Returns (offer, answer).
    @discardableResult
    func negotiate(offerer: PeerConnection, answerer: PeerConnection) throws -> (SessionDescription, SessionDescription) {
        let offer = try offerer.createOffer()
        try offerer.setLocalDescription(offer)
        try answerer.setRemoteDescription(TypedSessionDescription(type: .offer, sdp: offer.sdp))
        let answer = try answerer.createAnswer()
        try answerer.setLocalDescription(answer)
        try offerer.setRemoteDescription(TypedSessionDescription(type: .answer, sdp: answer.sdp))
        return (offer.description, answer.description)
    }

    func close() {
        a.close()
        b.close()
    }
}

/// A weak reference that can cross into `@Sendable` closures (handlers must not keep the
/// other connection alive: the descriptor tests count on connections going away).
final class WeakBox<T: AnyObject & Sendable>: Sendable {
    private let storage: Mutex<WeakStorage>
    private struct WeakStorage: @unchecked Sendable { weak var value: T? }
    init(_ value: T) { storage = Mutex(WeakStorage(value: value)) }
    var value: T? { storage.withLock { $0.value } }
}

/// The open file descriptors of this process (Linux /proc/self/fd).
func openFileDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// The inodes of the sockets this process holds open (`socket:[inode]` links in /proc/self/fd).
func openSocketInodes() -> Set<String> {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
    return Set(entries.compactMap { entry -> String? in
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)"),
            link.hasPrefix("socket:[")
        else { return nil }
        return String(link.dropFirst(8).dropLast())
    })
}

/// The inodes of the UDP sockets bound to these local ports (/proc/net/udp and udp6): exactly
/// a peer connection's sockets, whatever else the process opens or closes meanwhile.
func udpSocketInodes(ports: [UInt16]) -> Set<String> {
    var inodes: Set<String> = []
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, let portText = fields[1].split(separator: ":").last,
                let port = UInt16(portText, radix: 16), ports.contains(port)
            else { continue }
            inodes.insert(String(fields[9]))
        }
    }
    return inodes
}

/// The ICE credentials of a description's first accepted section.
func iceUfrag(_ description: SessionDescription) -> String? {
    guard let section = description.media.first(where: { !$0.isRejected }) else { return nil }
    return description.iceCredentials(for: section)?.ufrag
}
