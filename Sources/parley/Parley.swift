// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import ParleyCore

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Realtime voice-AI agents: run pipelines on files, in LiveKit rooms, behind a session API.",
        subcommands: [RunCommand.self, PluginsCommand.self, BenchCommand.self, TokenCommand.self, RoomCommand.self,
                      DispatchCommand.self, ServeCommand.self, WorkerCommand.self]
    )

    /// Runs the command; a failure prints one clear line (no stack trace) and exits non-zero.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIFailure {
            printError("parley: error: \(error.message)")
            exit(withError: ExitCode(error.exitCode))
        } catch let error as ConfigError {
            printError("parley: error: \(error)")
            exit(withError: ExitCode(2))
        } catch {
            exit(withError: error)
        }
    }
}

/// An error the CLI reports as one line with its own exit code.
struct CLIFailure: Error {
    var message: String
    var exitCode: Int32 = 1
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
