import ArgumentParser
import Collector
import EventLog
import Foundation
import Hummingbird
import Logging
import SightlineCore

/// `sightline-collector`: receives, verifies and stores signed events from Sightline devices.
@main
struct SightlineCollector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightline-collector",
        abstract: "Collect, verify and serve signed Sightline events.",
        version: SightlineVersion.string,
        subcommands: [Serve.self, Devices.self, Tokens.self, Retention.self])

    static let defaultDatabase = "sqlite:sightline-collector.sqlite"

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the collector's HTTP API.")

        @Option(help: "Address to listen on, HOST:PORT or [IPv6]:PORT.")
        var listen = "127.0.0.1:8470"

        @Option(help: ArgumentHelp("sqlite:PATH (default) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, with "
                                   + "?sslmode=require|verify-ca|verify-full&sslrootcert=PEM for TLS."))
        var database = SightlineCollector.defaultDatabase

        @Option(help: "PEM certificate (chain) to serve HTTPS; devices pin it.")
        var tlsCert: String?

        @Option(help: "PEM private key of --tls-cert.")
        var tlsKey: String?

        @Flag(help: "Serve plain HTTP on a non-loopback address (only behind a proxy that terminates TLS).")
        var insecureHTTP = false

        @Option(help: "Largest POST /v1/events body, bytes.")
        var maxEventsBody = 4 << 20

        @Option(help: "Largest evidence blob, bytes.")
        var maxEvidence = 8 << 20

        @Option(help: "Seconds a new connection has to send its request headers.")
        var headerTimeout = 30.0

        @Option(help: "Seconds before an idle connection is closed.")
        var idleTimeout = 60.0

        @Option(help: "Connections served at once.")
        var maxConnections = 1024

        @Option(help: "Connections open at once from one address; more are closed as they open.")
        var maxConnectionsPerAddress = 64

        @Option(help: "Bytes of request bodies held in memory at once, all requests together (503 beyond).")
        var maxBufferedBodies = 64 << 20

        @Option(help: "Requests per second from one address (429 with Retry-After beyond); 0 for no limit.")
        var rateAddress = 50.0

        @Option(help: "Event batches and evidence uploads per second from one device; 0 for no limit.")
        var rateDevice = 20.0

        @Option(help: "Requests a client may send at once before its rate applies.")
        var rateBurst = 200.0

        @Option(help: "Hours after which an uploaded evidence blob that no event names is deleted.")
        var evidenceGraceHours = 24

        @Option(help: "Log level.")
        var logLevel = "info"

        func run() async throws {
            let address: (host: String, port: Int)
            do { address = try ListenAddress.parse(listen) } catch { throw ValidationError("--listen: \(error)") }
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            var logger = Logger(label: "sightline.collector")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let store = try openStore(database: database, logger: logger)
            try await store.migrate()
            // The bootstrap admin token comes from the environment only: a command line shows in `ps`.
            let token = ProcessInfo.processInfo.environment["SIGHTLINE_ADMIN_TOKEN"]
            var config = CollectorConfiguration(
                host: address.host, port: address.port, adminToken: token,
                maxEventsBodyBytes: maxEventsBody, maxEvidenceBytes: maxEvidence,
                headerTimeoutSeconds: headerTimeout, idleTimeoutSeconds: idleTimeout, maxConnections: maxConnections,
                requestsPerSecondPerAddress: rateAddress, requestsPerSecondPerDevice: rateDevice, rateBurst: rateBurst,
                tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey, insecureHTTP: insecureHTTP)
            let (grace, overflow) = Int64(clamping: evidenceGraceHours).multipliedReportingOverflow(by: 3600)
            config.evidenceGraceSeconds = overflow ? -1 : grace
            config.maxConnectionsPerAddress = maxConnectionsPerAddress
            config.maxBufferedBodyBytes = maxBufferedBodies
            do { try config.validate() } catch { throw ValidationError("\(error)") }
            let log = logger
            let router = CollectorRouter(store: store, configuration: config, logger: logger)
            let app = try router.application { port in log.info("listening", metadata: ["port": "\(port)"]) }
            let purge = Task { await router.purgeUnreferencedEvidence() }
            defer { purge.cancel() }
            // The chain check, a service of the application, has ended when this returns; the purge is ended and
            // awaited here: the store closes with nothing reading it.
            try await app.runService()
            purge.cancel()
            await purge.value
            try await store.close()
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the months of events (PostgreSQL partitions) received before the last N months.")

        @Option(help: "Whole months of events kept besides the current one.")
        var keepMonths: Int

        @Option(help: "postgres://... (SQLite keeps every event)")
        var database: String

        func validate() throws {
            guard (1...1200).contains(keepMonths) else { throw ValidationError("--keep-months must be 1...1200") }
        }

        func run() async throws {
            guard let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                as? PostgresCollectorStore
            else { throw ValidationError("retention drops PostgreSQL partitions; --database must be postgres://") }
            try await store.migrate()
            let cutoff = PostgresCollectorStore.monthStart(nowNanos: Clocks.wallNanos(), offset: -keepMonths)
            let dropped = try await store.dropEventPartitions(receivedBefore: cutoff)
            try await store.close()
            writeLine(dropped.isEmpty ? "nothing to drop" : "dropped \(dropped.joined(separator: ", "))")
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register, list and revoke devices.", subcommands: [Add.self, List.self, Revoke.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Register a device by its public key.")

            @Argument(help: "A name for the device.")
            var name: String

            func validate() throws { try checkDisplayName(name, of: "device") }

            @Argument(help: "The device's public key (base64), from `sightline device show`.")
            var pubkey: String

            @Option(help: "sqlite:PATH (default) or postgres://...")
            var database = SightlineCollector.defaultDatabase

            func run() async throws {
                let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                try await store.migrate()
                let record = try await CollectorRouter.register(store: store, name: name, publicKey: pubkey)
                try await store.close()
                writeLine("registered \(record.name): \(record.id)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List registered devices.")

            @Option(help: "sqlite:PATH (default) or postgres://...")
            var database = SightlineCollector.defaultDatabase

            func run() async throws {
                let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                try await store.migrate()
                for d in try await store.devices() {
                    let state = d.revokedNanos.map { "revoked " + Timestamp.rfc3339(wallNanos: $0) } ?? "active"
                    writeLine("\(d.id)\t\(d.name)\t\(d.publicKey)\t\(state)")
                }
                try await store.close()
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a device (a stolen key): its later events are refused, earlier ones stay.")

            @Argument(help: "The device's name or id.")
            var name: String

            @Option(help: "sqlite:PATH (default) or postgres://...")
            var database = SightlineCollector.defaultDatabase

            func run() async throws {
                let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                try await store.migrate()
                let record = try await store.revokeDevice(name, nowNanos: Clocks.wallNanos())
                try await store.close()
                guard let record else { throw ValidationError("no active device named \(name)") }
                writeLine("revoked \(record.name): \(record.id)")
            }
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "API tokens with roles: admin, reviewer, traffic.", subcommands: [Add.self, List.self, Revoke.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a token and print it once (only its SHA-256 is stored).")

            @Argument(help: "A name for the token (who or what uses it).")
            var name: String

            func validate() throws { try checkDisplayName(name, of: "token") }

            @Option(help: ArgumentHelp("admin (devices, tokens, incidents), reviewer (all events and evidence) or "
                                       + "traffic (traffic, camera status and system events and their evidence, "
                                       + "never a face match)."))
            var role: String

            @Option(help: "sqlite:PATH (default) or postgres://...")
            var database = SightlineCollector.defaultDatabase

            func run() async throws {
                guard let role = Role(rawValue: role) else {
                    throw ValidationError("--role must be admin, reviewer or traffic")
                }
                let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                try await store.migrate()
                let token = AccessToken.generate()
                do {
                    try await store.addToken(
                        TokenRecord(
                            name: name, role: role, digest: AccessToken.digest(token), addedNanos: Clocks.wallNanos()))
                } catch {
                    try await store.close()
                    throw error
                }
                try await store.close()
                writeLine(token)
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens (names and roles, never tokens).")

            @Option(help: "sqlite:PATH (default) or postgres://...")
            var database = SightlineCollector.defaultDatabase

            func run() async throws {
                let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                try await store.migrate()
                for t in try await store.tokens() {
                    let state = t.revokedNanos.map { "revoked " + Timestamp.rfc3339(wallNanos: $0) } ?? "active"
                    writeLine("\(t.name)\t\(t.role.rawValue)\t\(state)")
                }
                try await store.close()
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token by name.")

            @Argument(help: "The token's name.")
            var name: String

            @Option(help: "sqlite:PATH (default) or postgres://...")
            var database = SightlineCollector.defaultDatabase

            func run() async throws {
                let store = try openStore(database: database, logger: Logger(label: "sightline.collector"))
                try await store.migrate()
                let revoked = try await store.revokeToken(name: name, nowNanos: Clocks.wallNanos())
                try await store.close()
                guard revoked else { throw ValidationError("no active token named \(name)") }
                writeLine("revoked \(name)")
            }
        }
    }
}

/// One line of the tool's own output on standard output, written at once (scripts read it from a pipe).
func writeLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// A name that `tokens list` and `devices list` print one per line, beside other columns: 1…64 characters, none
/// of them a control or format character (a newline would forge a row, U+202E would reorder one).
func checkDisplayName(_ name: String, of what: String) throws {
    guard DisplayName.isValid(name) else { throw ValidationError(DisplayName.rule(what)) }
}
