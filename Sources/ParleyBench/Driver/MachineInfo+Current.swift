// SPDX-License-Identifier: Apache-2.0

import Foundation

extension MachineInfo {
    /// This machine: CPU model (/proc/cpuinfo), cores, memory, OS (/etc/os-release), kernel.
    public static func current() -> MachineInfo {
        func field(_ file: String, _ key: String, separator: Character) -> String? {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix(key) {
                guard let i = line.firstIndex(of: separator) else { continue }
                return line[line.index(after: i)...].trimmingCharacters(in: .whitespaces)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            return nil
        }
        var uts = utsname()
        uname(&uts)
        let kernel = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return MachineInfo(cpuModel: field("/proc/cpuinfo", "model name", separator: ":") ?? "unknown",
                           cores: ProcessInfo.processInfo.activeProcessorCount,
                           memoryGB: (Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
                           os: field("/etc/os-release", "PRETTY_NAME", separator: "=") ?? "Linux", kernel: kernel)
    }
}
