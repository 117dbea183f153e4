// SPDX-License-Identifier: Apache-2.0

/// DTLS record boundaries (RFC 6347 §4.1: 13-byte header — type, version, epoch, 48-bit
/// sequence number, 16-bit length — then the fragment).
///
/// OpenSSL writes into a memory BIO, which keeps bytes but not datagram boundaries. DTLS
/// records never span datagrams and a datagram may carry several records (RFC 6347 §4.1.1),
/// so the transport cuts the BIO's bytes at record boundaries and packs whole records into
/// datagrams of at most the MTU, in order.
enum DTLSRecordFramer {
    static let headerLength = 13

    /// The length of the record starting at `offset`, or nil if the bytes there are not a
    /// complete record.
    static func recordLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        guard bytes.count - offset >= headerLength else { return nil }
        let length = Int(bytes[offset + 11]) << 8 | Int(bytes[offset + 12])
        let total = headerLength + length
        return bytes.count - offset >= total ? total : nil
    }

    /// Whole records of `bytes`, packed into datagrams of at most `mtu` bytes. A record longer
    /// than the MTU travels alone; trailing bytes that are not a whole record are dropped
    /// (OpenSSL never writes them). Returns the datagrams and the number of records.
    static func pack(_ bytes: [UInt8], mtu: Int) -> (datagrams: [[UInt8]], records: Int) {
        bytes.withUnsafeBytes { raw in
            var datagrams: [[UInt8]] = []
            var records = 0
            var current: [UInt8] = []
            var offset = 0
            while let length = recordLength(raw, at: offset) {
                if !current.isEmpty && current.count + length > mtu {
                    datagrams.append(current)
                    current = []
                }
                current.append(contentsOf: raw[offset..<offset + length])
                records += 1
                offset += length
            }
            if !current.isEmpty { datagrams.append(current) }
            return (datagrams, records)
        }
    }

    /// How many whole records a received datagram holds (for stats only; OpenSSL parses it).
    static func countRecords(_ datagram: [UInt8]) -> Int {
        datagram.withUnsafeBytes { raw in
            var count = 0
            var offset = 0
            while let length = recordLength(raw, at: offset) {
                count += 1
                offset += length
            }
            return count
        }
    }
}
