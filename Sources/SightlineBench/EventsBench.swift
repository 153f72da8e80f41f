import ArgumentParser
import AsyncHTTPClient
import EventLog
import Forwarder
import Foundation
import Logging
import NIOCore
import SightlineCore
import SightlineTools
import Synchronization

/// `sightline-bench events-emit`: events signed and committed to a fresh spool per second, by `producers`
/// threads emitting at once (as the daemon's cameras do); each `emit` returns only once its event is durable.
struct EventsBenchEmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events-emit", abstract: "Time signing + spooling (group commit of concurrent emitters).")

    @Option(help: "Number of events, all producers together.")
    var count = 2000

    @Option(help: "Threads emitting at once (1: one event per commit, as a single camera would).")
    var producers = 1

    @Option(help: "Directory for the throwaway spool (default: a new temporary directory).")
    var stateDir: String?

    func validate() throws {
        guard count >= 1, (1...1024).contains(producers) else {
            throw ValidationError("--count must be at least 1 and --producers from 1 to 1024")
        }
    }

    func run() throws {
        let dir = stateDir ?? NSTemporaryDirectory() + "sightline-bench-\(UUID().uuidString)"
        defer { if stateDir == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        let log = try EventLog(
            configuration: EventLogConfiguration(stateDirectory: dir), key: key,
            logger: Logger(label: "bench"))
        let body: [String: JSONValue] = [
            "width": .int(1280), "height": .int(720), "luma_mean": .double(117.42),
            "luma_stddev": .double(51.07),
        ]
        let producers = self.producers
        let count = self.count
        final class Failures: Sendable { let count = Atomic<Int>(0) }
        let failed = Failures()
        let start = Clocks.monotonicNanos()
        // Threads of their own, as the cameras' pipelines have (concurrentPerform would run only as many at
        // once as there are cores).
        let finished = DispatchSemaphore(value: 0)
        for p in 0..<producers {
            Thread {
                defer { finished.signal() }
                for n in stride(from: p, to: count, by: producers) {
                    do {
                        try log.emit(
                            camera: "gate\(p)", type: "frame.stats",
                            body: body.merging(["frame_seq": .int(Int64(n))]) { a, _ in a })
                    } catch {
                        failed.count.add(1, ordering: .relaxed)
                    }
                }
            }.start()
        }
        for _ in 0..<producers { finished.wait() }
        let seconds = Double(Clocks.monotonicNanos() - start) / 1e9
        let failures = failed.count.load(ordering: .relaxed)
        guard failures == 0 else { throw ValidationError("\(failures) events failed") }
        print(
            "{\"events\":\(count),\"producers\":\(producers),\"commits\":\(log.commits),\"seconds\":\(seconds),"
                + "\"events_per_s\":\(Double(count) / seconds)}")
    }
}

/// `sightline-bench events-ingest`: pre-fills spools for D devices, registers them at the collector
/// (admin token), then times delivery through the forwarder, devices in parallel.
struct EventsBenchIngest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events-ingest", abstract: "Time collector ingestion through the forwarder (load generator).")

    @Option(help: "Collector base URL.")
    var collector: String

    @Option(help: "Collector admin token (to register the bench devices).")
    var adminToken: String

    @Option(help: "Events per device.")
    var count = 2000

    @Option(help: "Devices delivering concurrently.")
    var devices = 4

    @Option(help: "Events per POST.")
    var batch = 100

    func run() throws {
        let logger = Logger(label: "bench")
        var logs: [EventLog] = []
        for _ in 0..<devices {
            let dir = NSTemporaryDirectory() + "sightline-bench-\(UUID().uuidString)"
            let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
            let log = try EventLog(configuration: EventLogConfiguration(stateDirectory: dir), key: key, logger: logger)
            for n in 0..<count {
                try log.emit(
                    camera: "gate", type: "frame.stats", body: ["frame_seq": .int(Int64(n)), "luma_mean": .double(1.5)])
            }
            logs.append(log)
        }
        defer { for l in logs { try? FileManager.default.removeItem(atPath: l.configuration.stateDirectory) } }
        let url = collector
        let token = adminToken
        let batch = self.batch
        let forwarders = try logs.map {
            try Forwarder(
                configuration: ForwarderConfiguration(collectorURL: url, batchSize: batch), spool: $0.spool,
                logger: logger)
        }
        let keys = logs.map { ($0.key.publicKeyBase64, $0.device) }
        let seconds = try blockingAwait { () async -> Result<Double, ForwarderError> in
            for (k, (pub, id)) in keys.enumerated() {
                let body = "{\"name\":\"bench-\(k)-\(id)\",\"public_key\":\"\(pub)\"}"
                _ = try? await postJSON(url + "/v1/devices", body: body, token: token)
            }
            let start = Clocks.monotonicNanos()
            let failure = await withTaskGroup(of: ForwarderError?.self) { group in
                for f in forwarders {
                    group.addTask {
                        do { try await f.drain(timeoutSeconds: 600) } catch {
                            return error as? ForwarderError ?? .transport("\(error)")
                        }
                        return nil
                    }
                }
                var first: ForwarderError? = nil
                for await r in group where first == nil { first = r }
                return first
            }
            let seconds = Double(Clocks.monotonicNanos() - start) / 1e9
            for f in forwarders { await f.shutdown() }
            if let failure { return .failure(failure) }
            return .success(seconds)
        }.get()
        let total = count * devices
        print(
            "{\"events\":\(total),\"devices\":\(devices),\"seconds\":\(seconds),"
                + "\"events_per_s\":\(Double(total) / seconds)}"
        )
    }
}

/// Registers a bench device through the collector's admin API.
private func postJSON(_ url: String, body: String, token: String) async throws {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(bytes: Array(body.utf8)))
    _ = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
}
