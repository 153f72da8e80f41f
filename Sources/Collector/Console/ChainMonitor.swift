import EventLog
import Foundation
import Logging

/// What the chain monitor reads and writes: the devices, their stored events in order, and the subtree roots it
/// caches. Any `CollectorStore & ConsoleStore` serves (`StoreChainSource`).
protocol ChainMonitorStore: Sendable {
    func devices() async throws -> [DeviceRecord]
    func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent]
    func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws
}

/// The collector's store as the chain monitor's.
struct StoreChainSource: ChainMonitorStore {
    let store: any CollectorStore & ConsoleStore

    func devices() async throws -> [DeviceRecord] { try await store.devices() }
    func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
        try await store.events(device: device, seqFrom: seqFrom, limit: limit)
    }
    func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws {
        try await store.saveMerkleNodes(device: device, nodes)
    }
}

/// Re-verifies each device's stored chain in the background, from seq 1, with the device's key: signatures,
/// `prev` links, checkpoint notes and roots (`ChainVerifier`) and the stored hash column. The overview shows how
/// far it got and the first problem. A device with a problem is not checked further until `restart`.
///
/// On the way it caches the roots of the perfect subtrees of 2^`InclusionProofBuilder.cachedLevel` leaves and more
/// (`console_merkle_nodes`), each once a signed checkpoint's root over it has verified, so that the event page's
/// first proof already reads O(log n).
actor ChainMonitor {
    /// What the monitor knows of one device's chain.
    struct Status: Sendable {
        var checkedThrough: UInt64 = 0
        var problem: String?
    }

    private struct Progress {
        var verifier: ChainVerifier
        var status = Status()
        var subtrees = SubtreeCollector()
    }

    /// Events read and verified per step of one device.
    static let batch = 500

    private let store: any ChainMonitorStore
    private let logger: Logger
    private var progress: [String: Progress] = [:]
    /// Bumped by `restart`: a step that was waiting on the store when it came writes nothing back (it would put
    /// back the progress the restart forgot, and the re-check would never reach a row altered since).
    private var generation = 0
    /// Wakes `run` when someone first asks for the check (the overview's statuses, an admin's restart).
    private let wanted: AsyncStream<Void>
    private let want: AsyncStream<Void>.Continuation

    init(store: any ChainMonitorStore, logger: Logger) {
        self.store = store
        self.logger = logger
        (wanted, want) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The device's status; asks for the background check (`run`) on first use.
    func status(device: String) -> Status? {
        want.yield()
        return progress[device]?.status
    }

    /// Forgets everything checked, so every chain is verified again from seq 1.
    func restart() {
        generation += 1
        progress = [:]
        want.yield()
    }

    /// The background check, until the task is cancelled: from the start when `immediately`, else from the first
    /// `status` or `restart`. Run once per monitor; the collector runs it as a service beside its server
    /// (`ChainCheckService`), so the check has ended when the server's run returns and the store may close.
    func run(immediately: Bool) async {
        if !immediately {
            for await _ in wanted { break }
        }
        while !Task.isCancelled {
            if await step() {
                await Task.yield()
            } else {
                do { try await Task.sleep(for: .seconds(2)) } catch { return }
            }
        }
    }

    /// Verifies up to `batch` more events of each device; true when some device may have more to check.
    func step() async -> Bool {
        let started = generation
        let devices: [DeviceRecord]
        do { devices = try await store.devices() } catch {
            // A read the collector's stop cancelled is no failure.
            if !Task.isCancelled {
                logger.warning("chain check: listing devices failed", metadata: ["error": "\(error)"])
            }
            return false
        }
        var busy = false
        for device in devices {
            if progress[device.id] == nil {
                guard let key = try? DeviceKey.publicKey(base64: device.publicKey) else { continue }
                progress[device.id] = Progress(verifier: ChainVerifier(publicKey: key, requireGenesis: true))
            }
            guard var p = progress[device.id], p.status.problem == nil else { continue }
            let rows: [StoredEvent]
            do {
                rows = try await store.events(
                    device: device.id, seqFrom: p.status.checkedThrough + 1, limit: Self.batch)
            } catch {
                if !Task.isCancelled {
                    logger.warning("chain check: reading events failed", metadata: ["error": "\(error)"])
                }
                return false
            }
            for row in rows {
                do {
                    let verifiedBefore = p.verifier.checkpointsVerified
                    let event = try p.verifier.check(line: row.line)
                    if p.verifier.checkpointsVerified > verifiedBefore {
                        // A signed root over every leaf so far verified: the subtrees under it are its true ones.
                        await save(p.subtrees.take(), device: device.id)
                        // The collector is stopping (its check is cancelled): the store refuses every further save,
                        // and the rest of the batch would log one warning for each checkpoint in it.
                        if Task.isCancelled { return false }
                    }
                    let leaf = (try? event.canonicalBytes()).map(MerkleTree.leafHash)
                    if let leaf { p.subtrees.append(leafHash: leaf) }
                    if row.seq != p.verifier.lastSeq {
                        p.status.problem = "seq \(row.seq): the row's seq column differs from its event"
                    } else if p.verifier.lastHash != row.hash {
                        p.status.problem = "seq \(row.seq): the stored hash differs from the event's bytes"
                    } else if leaf != row.leafHash {
                        // Proofs are built from this column: a leaf hash that is not the event's makes wrong ones.
                        p.status.problem = "seq \(row.seq): the stored leaf hash differs from the event's bytes"
                    } else {
                        p.status.checkedThrough = row.seq
                    }
                } catch {
                    p.status.problem = "seq \(error.seq.map { String($0) } ?? "\(row.seq)"): \(error.kind.rawValue): "
                        + error.message
                }
                if p.status.problem != nil { break }
            }
            if rows.count == Self.batch && p.status.problem == nil { busy = true }
            // Restarted while this step read or saved: its progress belongs to the forgotten check.
            guard generation == started else { return true }
            progress[device.id] = p
        }
        return busy
    }

    private func save(_ nodes: [MerkleNodeID: [UInt8]], device: String) async {
        do { try await store.saveMerkleNodes(device: device, nodes) } catch where !Task.isCancelled {
            logger.warning("chain check: caching subtree roots failed", metadata: ["error": "\(error)"])
        } catch {}
    }
}

/// The perfect subtrees a growing tree completes, as `MerkleFrontier` merges them, kept from `cachedLevel` up
/// until `take`.
struct SubtreeCollector {
    private var stack: [[UInt8]] = []
    private(set) var size: UInt64 = 0
    private var completed: [MerkleNodeID: [UInt8]] = [:]

    mutating func append(leafHash: [UInt8]) {
        var hash = leafHash
        var level = 0
        var s = size
        // Every trailing one bit of the old size is a perfect subtree the new leaf completes.
        while s & 1 == 1 {
            hash = MerkleTree.nodeHash(stack.removeLast(), hash)
            level += 1
            s >>= 1
            if level >= InclusionProofBuilder.cachedLevel {
                completed[MerkleNodeID(level: level, index: ((size + 1) >> UInt64(level)) - 1)] = hash
            }
        }
        stack.append(hash)
        size += 1
    }

    /// The subtrees completed since the last call.
    mutating func take() -> [MerkleNodeID: [UInt8]] {
        defer { completed = [:] }
        return completed
    }
}
