import ArgumentParser
import AsyncHTTPClient
import EventLog
import Foundation
import NIOCore
import SightlineCore
import SightlineTestKit
import SightlineTools
import Synchronization

/// `sightline-bench fleet`: a fleet of simulated devices (real keys; signed, chained, checkpointed events with
/// small evidence blobs) delivering to one or more collectors at once, each device's consecutive batches spread
/// over the collectors. Reports events/s accepted, request latency, refusals, and whether every device's export
/// verifies afterwards; one JSON line for scripts.
struct FleetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Load-test collectors with a fleet of simulated devices.")

    @Option(help: "Collector base URL; repeat for several collectors over one database.")
    var collector: [String]

    @Option(help: "Collector admin token (registers the devices, reads the exports).")
    var adminToken: String

    @Option(help: "Simulated devices.")
    var devices = 1000

    @Option(help: "Events per device (a checkpoint follows every --checkpoint-every of them).")
    var events = 20

    @Option(help: "Events between a device's checkpoints.")
    var checkpointEvery = 10

    @Option(help: "An evidence blob on every Nth event of a device (0: none).")
    var evidenceEvery = 5

    @Option(help: "Most events per POST (a device sends what it has, up to this).")
    var batch = 10

    /// Requests in flight at once. Latency is in-flight over throughput (Little's law): more in flight than the
    /// collectors need to keep the cores busy adds only queueing to every request, so the default is what keeps
    /// two cores busy on one box; it is printed beside every row.
    @Option(help: "Requests in flight at once, all devices together (printed with the row).")
    var concurrency = 16

    @Option(help: "Row label for the JSON line.")
    var row = "fleet"

    @Option(help: "Database kind for the JSON line (sqlite or postgresql).")
    var database = "sqlite"

    func validate() throws {
        guard !collector.isEmpty else { throw ValidationError("give at least one --collector") }
        guard (1...100_000).contains(devices), (1...100_000).contains(events), (1...10_000).contains(batch),
            (1...10_000).contains(checkpointEvery), (1...4096).contains(concurrency), evidenceEvery >= 0
        else { throw ValidationError("a count is out of range") }
    }

    /// One device's pending batches, sent in order.
    struct Fleet: Sendable {
        var keys: [DeviceKey]
        var batches: [[[UInt8]]]
        var blobs: [[(sha256: String, data: [UInt8])]]
        var lines: [Int]
    }

    /// What the delivering tasks share.
    final class Progress: Sendable {
        struct State {
            var queue: [Int] = []
            var nextBatch: [Int] = []
            var latenciesNanos: [UInt64] = []
            var accepted = 0
            var refused = 0
            var failures: [String] = []
            /// CPU seconds the load generator itself spent while delivering (all its threads).
            var loadCPUSeconds = 0.0
        }
        let state = Mutex(State())
    }

    func run() throws {
        let fleet = try Self.makeFleet(
            devices: devices, events: events, checkpointEvery: checkpointEvery, evidenceEvery: evidenceEvery,
            batch: batch)
        let split = try Self.costSplit(fleet)
        let urls = collector
        let token = adminToken
        let concurrency = self.concurrency
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { try? client.syncShutdown() }

        let outcome = try blockingAwait { () async -> Result<(Double, Progress, Bool, [String]), any Error> in
            do {
                try await Self.register(fleet, url: urls[0], token: token, client: client, concurrency: concurrency)
                try await Self.uploadEvidence(fleet, urls: urls, client: client, concurrency: concurrency)
                let progress = Progress()
                progress.state.withLock {
                    $0.queue = Array(fleet.keys.indices)
                    $0.nextBatch = Array(repeating: 0, count: fleet.keys.count)
                }
                let start = Clocks.monotonicNanos()
                let cpuStart = Self.cpuSeconds()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<concurrency {
                        group.addTask { try await Self.deliver(fleet, urls: urls, client: client, progress: progress) }
                    }
                    try await group.waitForAll()
                }
                let seconds = Double(Clocks.monotonicNanos() - start) / 1e9
                progress.state.withLock { $0.loadCPUSeconds = Self.cpuSeconds() - cpuStart }
                let (verified, problems) = try await Self.verifyExports(
                    fleet, url: urls[0], token: token, client: client, concurrency: concurrency)
                return .success((seconds, progress, verified, problems))
            } catch {
                return .failure(error)
            }
        }.get()
        let (seconds, progress, verified, problems) = outcome
        let s = progress.state.withLock { $0 }
        let sorted = s.latenciesNanos.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        let rate = Double(s.accepted) / seconds
        for p in (s.failures + problems).prefix(5) { FileHandle.standardError.write(Data("fleet: \(p)\n".utf8)) }
        let r1 = (rate * 10).rounded() / 10
        let p50 = (percentile(0.5) * 10).rounded() / 10
        let p99 = (percentile(0.99) * 10).rounded() / 10
        func cell(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print(
            row.padding(toLength: 34, withPad: " ", startingAt: 0) + cell(String(r1), 11) + cell(String(p50), 9)
                + cell(String(p99), 9) + cell(String(s.refused), 9) + cell(verified ? "yes" : "NO", 10)
                + cell(String(concurrency), 10) + "   (\(s.accepted) events in \(String(format: "%.1f", seconds)) s, \(sorted.count) requests; load generator \(String(format: "%.1f", s.loadCPUSeconds)) CPU s)")
        print(
            String(
                format: "  per event, one core: parse %.1f µs, canonical form %.1f µs, Ed25519 verify %.1f µs, "
                    + "SHA-256 ×2 %.1f µs", split.parse, split.canonical, split.verify, split.hash))
        print(
            "{\"row\": \"\(row)\", \"database\": \"\(database)\", \"collectors\": \(urls.count), "
                + "\"devices\": \(devices), \"events_per_s\": \(r1), \"p50_ms\": \(p50), \"p99_ms\": \(p99), "
                + "\"refused\": \(s.refused), \"verified\": \(verified), \"in_flight\": \(concurrency), "
                + "\"events\": \(s.accepted), \"loadgen_cpu_s\": \((s.loadCPUSeconds * 10).rounded() / 10), "
                + "\"verify_us\": \((split.verify * 10).rounded() / 10), "
                + "\"parse_canonical_hash_us\": \(((split.parse + split.canonical + split.hash) * 10).rounded() / 10)}")
        if !verified || s.refused > 0 || !s.failures.isEmpty { throw ExitCode(1) }
    }

    /// User and system CPU seconds of this process so far, all threads.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// Every device's events, made and signed in memory (in parallel), cut into batches.
    static func makeFleet(devices: Int, events: Int, checkpointEvery: Int, evidenceEvery: Int, batch: Int) throws
        -> Fleet
    {
        let made = Mutex([(DeviceKey, [[UInt8]], [(sha256: String, data: [UInt8])])?](repeating: nil, count: devices))
        let failure = Mutex<String?>(nil)
        DispatchQueue.concurrentPerform(iterations: devices) { d in
            do {
                var device = SimulatedDevice(checkpointEvery: checkpointEvery)
                var lines: [[UInt8]] = []
                var blobs: [(sha256: String, data: [UInt8])] = []
                for i in 0..<events {
                    let evidence =
                        evidenceEvery > 0 && i % evidenceEvery == 0
                        ? [SimulatedDevice.jpeg("device \(d) frame \(i) " + String(repeating: "x", count: 200))] : []
                    // Each box names its own camera (a site's cameras have distinct names).
                    for e in try device.emit(
                        camera: "cam-\(d)", body: ["frame_seq": .int(Int64(i)), "luma_mean": .double(1.5)],
                        evidence: evidence)
                    {
                        lines.append(e.line)
                        blobs += e.evidence
                    }
                }
                let entry = (device.key, lines, blobs)
                made.withLock { $0[d] = entry }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        if let f = failure.withLock({ $0 }) { throw ValidationError("making the fleet failed: \(f)") }
        var fleet = Fleet(keys: [], batches: [], blobs: [], lines: [])
        for case let (key, lines, blobs)? in made.withLock({ $0 }) {
            fleet.keys.append(key)
            fleet.blobs.append(blobs)
            fleet.lines.append(lines.count)
            fleet.batches.append(
                stride(from: 0, to: lines.count, by: batch).map { start in
                    Array("{\"events\":[".utf8) + Array(lines[start..<min(lines.count, start + batch)]
                        .joined(separator: Array(",".utf8))) + Array("]}".utf8)
                })
        }
        return fleet
    }

    /// Microseconds per event, on one core, of what the collector does to each event before the database:
    /// parse, canonical form, signature check, the two SHA-256 (event hash and Merkle leaf).
    static func costSplit(_ fleet: Fleet) throws -> (parse: Double, canonical: Double, verify: Double, hash: Double) {
        var lines: [[UInt8]] = []
        var keys: [DeviceKey] = []
        outer: for (d, batches) in fleet.batches.enumerated() {
            for body in batches {
                let value = try JSONParser.parse(body)
                guard case .object(let o) = value, case .array(let items)? = o["events"] else { continue }
                for item in items {
                    lines.append(try CanonicalJSON.encode(item))
                    keys.append(fleet.keys[d])
                    if lines.count >= 2000 { break outer }
                }
            }
        }
        var t = Clocks.monotonicNanos()
        var events: [Event] = []
        for line in lines { events.append(try Event(json: try JSONParser.parse(line))) }
        let parse = Clocks.monotonicNanos() - t
        t = Clocks.monotonicNanos()
        var canonical: [[UInt8]] = []
        for e in events { canonical.append(try e.canonicalBytes()) }
        let canon = Clocks.monotonicNanos() - t
        t = Clocks.monotonicNanos()
        var good = 0
        for (k, e) in events.enumerated() where e.verifySignature(canonical: canonical[k], publicKey: keys[k].privateKey.publicKey) {
            good += 1
        }
        let verify = Clocks.monotonicNanos() - t
        t = Clocks.monotonicNanos()
        var sink = 0
        for c in canonical { sink &+= Event.hash(canonical: c).utf8.count &+ MerkleTree.leafHash(c).count }
        let hash = Clocks.monotonicNanos() - t
        guard good == events.count, sink > 0 else { throw ValidationError("a bench event does not verify") }
        let n = Double(max(1, events.count)) * 1000
        return (Double(parse) / n, Double(canon) / n, Double(verify) / n, Double(hash) / n)
    }

    /// Runs `body` for 0..<count with at most `width` at once.
    static func bounded(
        _ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(count, width) {
                let k = next
                group.addTask { try await body(k) }
                next += 1
            }
            while try await group.next() != nil, next < count {
                let k = next
                group.addTask { try await body(k) }
                next += 1
            }
            try await group.waitForAll()
        }
    }

    static func register(_ fleet: Fleet, url: String, token: String, client: HTTPClient, concurrency: Int) async throws {
        try await bounded(fleet.keys.count, width: concurrency) { d in
            let key = fleet.keys[d]
            let body = "{\"name\":\"fleet-\(d)-\(key.deviceID.prefix(8))\",\"public_key\":\"\(key.publicKeyBase64)\"}"
            var request = HTTPClientRequest(url: url + "/v1/devices")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(body.utf8)))
            let response = try await client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code / 100 == 2 else {
                throw ValidationError("registering a device: HTTP \(response.status.code)")
            }
        }
    }

    static func uploadEvidence(_ fleet: Fleet, urls: [String], client: HTTPClient, concurrency: Int) async throws {
        let uploads = fleet.blobs.indices.flatMap { d in fleet.blobs[d].indices.map { (d, $0) } }
        try await bounded(uploads.count, width: concurrency) { k in
            let (d, b) = uploads[k]
            let (sha, data) = fleet.blobs[d][b]
            let path = "/v1/evidence/\(sha)"
            var request = HTTPClientRequest(url: urls[k % urls.count] + path)
            request.method = .PUT
            for (name, value) in RequestSignature.headers(
                key: fleet.keys[d], method: "PUT", path: path, bodySHA256: sha,
                unixSeconds: Clocks.wallNanos() / 1_000_000_000)
            {
                request.headers.add(name: name, value: value)
            }
            request.body = .bytes(ByteBuffer(bytes: data))
            let response = try await client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 200 else { throw ValidationError("evidence upload: HTTP \(response.status.code)") }
        }
    }

    /// Takes the device at the head of the queue, sends its next batch to the next collector in turn, and puts
    /// the device back at the tail while it has batches left: devices interleave, each in order.
    static func deliver(_ fleet: Fleet, urls: [String], client: HTTPClient, progress: Progress) async throws {
        while true {
            let job: (device: Int, batch: Int)? = progress.state.withLock { s in
                guard !s.queue.isEmpty else { return nil }
                let d = s.queue.removeFirst()
                let b = s.nextBatch[d]
                s.nextBatch[d] += 1
                return (d, b)
            }
            guard let job else { return }
            let body = fleet.batches[job.device][job.batch]
            var request = HTTPClientRequest(url: urls[(job.device + job.batch) % urls.count] + "/v1/events")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            let start = Clocks.monotonicNanos()
            let response = try await client.execute(request, timeout: .seconds(120))
            let reply = try await response.body.collect(upTo: 16 << 20)
            let elapsed = Clocks.monotonicNanos() - start
            var accepted = 0
            if let value = try? JSONParser.parse(Array(reply.readableBytesView)), case .object(let o) = value,
                case .array(let results)? = o["results"]
            {
                accepted = results.count
            }
            progress.state.withLock { s in
                s.latenciesNanos.append(elapsed)
                s.accepted += accepted
                if response.status.code != 200 {
                    s.refused += 1
                    if s.failures.count < 20 {
                        s.failures.append("HTTP \(response.status.code): \(String(decoding: reply.readableBytesView.prefix(200), as: UTF8.self))")
                    }
                }
                if job.batch + 1 < fleet.batches[job.device].count { s.queue.append(job.device) }
            }
        }
    }

    /// Whether every device's export verifies and holds all its events (and evidence).
    static func verifyExports(
        _ fleet: Fleet, url: String, token: String, client: HTTPClient, concurrency: Int
    ) async throws -> (Bool, [String]) {
        let problems = Mutex<[String]>([])
        try await bounded(fleet.keys.count, width: concurrency) { d in
            let key = fleet.keys[d]
            var request = HTTPClientRequest(url: url + "/v1/export?device=\(key.deviceID)&evidence=true")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 256 << 20)
            do {
                let summary = try ExportVerifier.verify(
                    export: Array(body.readableBytesView), publicKey: key.privateKey.publicKey,
                    requirements: .init(expectSize: UInt64(fleet.lines[d]), requireEvidence: true))
                guard summary.events == fleet.lines[d], summary.shortfalls.isEmpty else {
                    problems.withLock { $0.append("device \(d): \(summary.events) events, \(summary.shortfalls)") }
                    return
                }
            } catch {
                problems.withLock { $0.append("device \(d): \(error)") }
            }
        }
        let found = problems.withLock { $0 }
        return (found.isEmpty, found)
    }
}
