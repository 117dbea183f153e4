// SPDX-License-Identifier: Apache-2.0

// Plain POSIX file I/O rather than Foundation: the writer needs positional
// writes to patch the header on close, the errors need errno text to be
// precise, and it keeps ParleyAudio free of a Foundation dependency.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Bionic)
import Bionic
#elseif canImport(Darwin)
import Darwin
#else
#error("ParleyAudio WAV I/O needs a POSIX C library")
#endif

/// Internal namespace so these helpers cannot collide with other ParleyAudio
/// code that also wraps libc.
enum WAVPOSIX {
    /// errno as readable text, e.g. "No such file or directory (errno 2)".
    static func errorText(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: message)) (errno \(code))"
    }

    /// Reads a whole file. The reader needs random access to every chunk and
    /// WAV files are bounded at 4 GiB, so one buffer is the simple, safe choice.
    static func readAll(path: String) throws(WAVError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WAVError(path: path, reason: "cannot open: \(errorText(errno))")
        }
        defer { closeDescriptor(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WAVError(path: path, reason: "cannot stat: \(errorText(errno))")
        }
        // Linux lets open() succeed on a directory; say so plainly instead of
        // surfacing EISDIR from read().
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw WAVError(path: path, reason: "is a directory")
        }

        var bytes: [UInt8] = []
        // st_size is only a hint (the file may be growing, or be a pipe), so
        // it sizes the buffer but the loop reads until EOF.
        if info.st_size > 0, let hint = Int(exactly: info.st_size) {
            bytes.reserveCapacity(hint)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress, buffer.count)
            }
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw WAVError(path: path, reason: "read failed: \(errorText(code))")
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return bytes
    }

    /// Writes every byte, retrying short writes and EINTR. Returns the errno
    /// on failure so the caller can phrase the error.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard var base = bytes.baseAddress else { return nil }
        var left = bytes.count
        while left > 0 {
            let done = write(fd, base, left)
            if done < 0 {
                let code = errno
                if code == EINTR { continue }
                return code
            }
            if done == 0 { return EIO }  // should not happen for regular files; avoid spinning
            left -= done
            base += done
        }
        return nil
    }

    /// Positional write used to patch header fields without moving the
    /// stream position.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) -> Int32? {
        bytes.withUnsafeBytes { buffer -> Int32? in
            guard var base = buffer.baseAddress else { return nil }
            var left = buffer.count
            var position = off_t(offset)
            while left > 0 {
                let done = pwrite(fd, base, left, position)
                if done < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    return code
                }
                if done == 0 { return EIO }
                left -= done
                base += done
                position += off_t(done)
            }
            return nil
        }
    }

    /// Rewinds the file to `length` after a failed write so a partial sample
    /// never sits between the last good frame and the next write.
    static func truncate(_ fd: Int32, to length: Int) -> Bool {
        ftruncate(fd, off_t(length)) == 0 && lseek(fd, off_t(length), SEEK_SET) == off_t(length)
    }

    /// Returns the descriptor, or the errno when it is negative.
    static func createTruncating(_ path: String) -> (fd: Int32, error: Int32) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        return (fd, fd < 0 ? errno : 0)
    }

    /// Separate name because inside WAVWriter `close` means the method.
    /// Returns the errno on failure. Not retried on EINTR: on Linux the
    /// descriptor is already released and a retry could close a reused one.
    @discardableResult
    static func closeDescriptor(_ fd: Int32) -> Int32? {
        close(fd) == 0 ? nil : errno
    }
}
