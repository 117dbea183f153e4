// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
@testable import ParleyServer
import PostgresNIO
import Synchronization

/// A throwaway PostgreSQL cluster for the store tests: one per test process, started on first
/// use, one fresh database per test.
///
/// ```
///  initdb  /tmp/parley-pg-XXXXXX/data   (user parley, scram-sha-256 over TCP, trust on the socket)
///  pg_ctl start  -p <free port> -c listen_addresses=127.0.0.1 -k /tmp/parley-pg-XXXXXX
///
///  test process ──stdin socket──► watchdog: sh -c 'cat; pg_ctl stop -m immediate; rm -rf DIR'
///       └── TCP 127.0.0.1:<port> ──► postgres
/// ```
///
/// The watchdog stops the server and removes the directory when the test process ends, however
/// it ends (its socket closes even on a crash or `kill -9`), so no cluster outlives a test run.
///
/// initdb and pg_ctl are started with `posix_spawn` and reaped with `waitpid`, not with
/// Foundation's `Process`: the postmaster pg_ctl leaves behind inherits pg_ctl's descriptors, and
/// `Process` then never notices that pg_ctl exited (seen here: `isRunning` stays true forever).
/// The watchdog socket's other end is close-on-exec, so no child (postgres included) can hold it open.
///
/// initdb and postgres refuse to run as root: as root, they run as the `postgres` user (Debian's
/// `postgresql` package creates it) or else `nobody`, through util-linux's `runuser`, in a
/// directory that user owns. The binaries are looked up in `PARLEY_POSTGRES_BIN`, Debian's
/// `/usr/lib/postgresql/<version>/bin` (newest first), `/usr/local/bin` and `PATH`; without them the
/// Postgres tests fail with a message saying what to install, rather than passing silently.
final class PostgresTestServer: Sendable {
    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    static let user = "parley"
    let port: Int
    let password: String
    let directory: String
    private let binDirectory: String
    private let runAs: String?
    private let watchdog: pid_t
    /// The write end of the watchdog's stdin, open for this process's lifetime; its closing is the signal.
    private let watchdogFD: Int32
    private let databaseCounter = Counter()

    private static let sharedResult = Result { try PostgresTestServer() }

    /// The process-wide server (started on first use; a failure is reported to every caller).
    static func shared() throws -> PostgresTestServer { try sharedResult.get() }

    init() throws {
        binDirectory = try Self.findBinaries()
        let root = getuid() == 0
        runAs = root ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        var template = Array("/tmp/parley-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LaunchError(description: "mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        password = "pw-" + UUID().uuidString
        let pwFile = directory + "/pw"
        try password.write(toFile: pwFile, atomically: false, encoding: .utf8)
        if let runAs {
            guard let pw = getpwnam(runAs) else { throw LaunchError(description: "no user \(runAs)") }
            for path in [directory, pwFile] where chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) != 0 {
                throw LaunchError(description: "cannot chown \(path) to \(runAs): errno \(errno)")
            }
        }

        // The watchdog first, so even a failed start below leaves nothing behind.
        // A socket pair rather than a pipe: created close-on-exec atomically (Glibc's module has no pipe2).
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw LaunchError(description: "socketpair failed: errno \(errno)")
        }
        watchdogFD = fds[1]
        let stop = Self.command(runAs: runAs, binDirectory + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        let script = "cat >/dev/null; \(stop.map(Self.shellQuote).joined(separator: " ")) >/dev/null 2>&1; "
            + "rm -rf \(Self.shellQuote(directory))"
        watchdog = try Spawn.start(["/bin/sh", "-c", script], stdin: fds[0], output: "/dev/null")
        close(fds[0])

        // --no-sync / fsync=off: these clusters live for one test run; durability against an OS
        // crash is not what the tests check (a killed `parley serve` never loses a commit either way).
        try Self.run(runAs: runAs, binDirectory + "/initdb",
                     ["-D", directory + "/data", "-U", Self.user, "--pwfile=" + pwFile, "-A", "scram-sha-256",
                      "--auth-local=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
                     log: directory + "/initdb.log", what: "initdb")
        var lastError: (any Error)?
        var started: Int?
        // A free port can be taken between probing and binding: try a few.
        for _ in 0..<3 where started == nil {
            let candidate = try freePort()
            do {
                try Self.run(runAs: runAs, binDirectory + "/pg_ctl",
                             ["-D", directory + "/data", "-l", directory + "/postgres.log", "-w", "-t", "120", "-o",
                              "-c listen_addresses=127.0.0.1 -p \(candidate) -k \(directory) -c fsync=off "
                                  + "-c full_page_writes=off -c max_connections=300", "start"],
                             log: directory + "/pg_ctl.log", what: "pg_ctl start")
                started = candidate
            } catch {
                // The server's own log says why (port taken, shared memory, permissions, …).
                let log = (try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8)) ?? ""
                lastError = LaunchError(description: "\(error); postgres.log: "
                                            + log.split(separator: "\n").suffix(5).joined(separator: " | "))
            }
        }
        guard let started else { throw lastError ?? LaunchError(description: "pg_ctl start failed") }
        port = started
    }

    /// Stops the server now (the watchdog would at exit).
    func stop() {
        close(watchdogFD)
        _ = Spawn.wait(watchdog, timeout: 30)
    }

    /// Settings for a new, empty database on this server.
    func makeDatabase(maxConnections: Int = 10) async throws -> PostgresStoreSettings {
        let name = "parley_\(databaseCounter.next())_\(getpid())"
        try await withConnection(database: "postgres") { c in
            try await c.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        }
        var settings = PostgresStoreSettings(endpoint: .tcp(host: "127.0.0.1", port: port), username: Self.user,
                                             password: password, database: name)
        settings.tlsMode = .disable
        settings.maxConnections = maxConnections
        return settings
    }

    /// `postgres://parley:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable`, as an operator writes it.
    static func url(_ s: PostgresStoreSettings) -> String {
        guard case .tcp(let host, let port) = s.endpoint else { return "" }
        return "postgres://\(s.username):\(s.password ?? "")@\(host):\(port)/\(s.database)?sslmode=disable"
    }

    /// A direct connection (for setting up states the store itself never writes).
    @discardableResult
    func withConnection<T: Sendable>(database: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let config = PostgresConnection.Configuration(host: "127.0.0.1", port: port, username: Self.user,
                                                      password: password, database: database, tls: .disable)
        let c = try await PostgresConnection.connect(configuration: config, id: 1, logger: Self.logger)
        do {
            let value = try await body(c)
            try await c.close()
            return value
        } catch {
            try? await c.close()
            throw error
        }
    }

    static let logger = Logger(label: "parley.test.postgres")

    // MARK: Processes

    static func findBinaries() throws -> String {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["PARLEY_POSTGRES_BIN"] { candidates.append(dir) }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        candidates += versions.map { "\(debian)/\($0)/bin" }
        candidates += ["/usr/local/bin", "/usr/local/pgsql/bin"]
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in candidates where ["initdb", "pg_ctl", "postgres"].allSatisfy({
            FileManager.default.isExecutableFile(atPath: dir + "/" + $0)
        }) {
            return dir
        }
        throw LaunchError(description: """
            PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in PARLEY_POSTGRES_BIN, \
            /usr/lib/postgresql/<version>/bin, /usr/local/bin or PATH: the Postgres store tests need a local \
            PostgreSQL (Debian: apt-get install postgresql; scripts/install-deps installs it)
            """)
    }

    /// `cmd args`, or `runuser -u USER -- cmd args` when root must drop privileges.
    static func command(runAs: String?, _ executable: String, _ arguments: [String]) -> [String] {
        guard let runAs else { return [executable] + arguments }
        return [runuser, "-u", runAs, "--", executable] + arguments
    }

    static var runuser: String {
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "runuser"
    }

    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs to completion; a failure carries the tool's own output.
    static func run(runAs: String?, _ executable: String, _ arguments: [String], log: String, what: String) throws {
        let pid = try Spawn.start(command(runAs: runAs, executable, arguments), stdin: nil, output: log)
        guard let status = Spawn.wait(pid, timeout: 180) else {
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid, timeout: 5)
            throw LaunchError(description: "\(what) did not finish within 180 s")
        }
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw LaunchError(description: "\(what) failed (exit \(status)"
                                  + (runAs.map { ", as \($0)" } ?? "") + "): "
                                  + text.split(separator: "\n").suffix(5).joined(separator: " | "))
        }
    }
}

/// `posix_spawn` + `waitpid`, for children whose own children outlive them (see `PostgresTestServer`).
enum Spawn {
    /// Starts `argv` (an absolute path first) with stdin from `stdin` (or /dev/null) and stdout and
    /// stderr appended to `output`, signal mask and dispositions reset to the defaults.
    static func start(_ argv: [String], stdin: Int32?, output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArguments = argv.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments + [nil], environ)
        guard rc == 0 else {
            throw PostgresTestServer.LaunchError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// The exit status (128 + signal when killed), or nil if still running after `timeout` seconds.
    static func wait(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                let signal = status & 0x7F
                return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            }
            if r < 0 { return -1 }
            usleep(10_000)
        }
        return nil
    }
}

/// A thread-safe counter (database names).
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
