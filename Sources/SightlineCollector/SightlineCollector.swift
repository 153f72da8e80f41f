import ArgumentParser
import Collector
import Foundation
import Hummingbird
import Logging

/// `sightline-collector`: receives, verifies and stores signed events from Sightline devices.
@main
struct SightlineCollector: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightline-collector",
        abstract: "Collect, verify and serve signed Sightline events.",
        version: "0.1.0",
        subcommands: [Serve.self, Devices.self])

    static let defaultDatabase = "sqlite:sightline-collector.sqlite"

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the collector's HTTP API.")

        @Option(help: "Address to listen on, HOST:PORT.")
        var listen = "127.0.0.1:8470"

        @Option(help: ArgumentHelp("sqlite:PATH (default) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, with "
                                   + "?sslmode=require|verify-ca|verify-full&sslrootcert=PEM for TLS."))
        var database = SightlineCollector.defaultDatabase

        @Option(help: "Bearer token for the admin endpoints (also $SIGHTLINE_ADMIN_TOKEN); none disables them.")
        var adminToken: String?

        @Option(help: "PEM certificate (chain) to serve HTTPS; devices pin it.")
        var tlsCert: String?

        @Option(help: "PEM private key of --tls-cert.")
        var tlsKey: String?

        @Option(help: "Log level.")
        var logLevel = "info"

        func run() async throws {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("--listen must be HOST:PORT")
            }
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            var logger = Logger(label: "sightline.collector")
            logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let store = try openStore(database: database, logger: logger)
            try await store.migrate()
            let token = adminToken ?? ProcessInfo.processInfo.environment["SIGHTLINE_ADMIN_TOKEN"]
            guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert needs --tls-key") }
            let config = CollectorConfiguration(
                host: String(listen[..<colon]), port: port, adminToken: token,
                tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey)
            let log = logger
            let app = try CollectorRouter(store: store, configuration: config, logger: logger).application { port in
                log.info("listening", metadata: ["port": "\(port)"])
            }
            try await app.runService()
            try await store.close()
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register and list devices.", subcommands: [Add.self, List.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Register a device by its public key.")

            @Argument(help: "A name for the device.")
            var name: String

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
                for d in try await store.devices() { writeLine("\(d.id)\t\(d.name)\t\(d.publicKey)") }
                try await store.close()
            }
        }
    }
}

/// One line of the tool's own output on standard output, written at once (scripts read it from a pipe).
func writeLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
