// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import ParleyCore

/// `parley plugins`: lists every provider this build can use, with its options.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List the registered providers, the slots they fill and their options.")

    func run() throws {
        for r in makeRegistry().all {
            let kinds = r.kinds.map(\.rawValue).sorted().joined(separator: ", ")
            print("\(r.provider)  [\(kinds)]  licence: \(r.license)")
            print("    \(r.summary)")
            if !r.models.isEmpty { print("    models: \(r.models.joined(separator: ", "))") }
            for o in r.options {
                let d = o.defaultValue.map { " (default \($0))" } ?? ""
                print("    \(o.name): \(o.allowedText)\(d) — \(o.help)")
            }
        }
    }
}
