import EventLog
import Foundation
import Logging

/// Re-verifies each device's stored chain in the background, from seq 1, with the device's key: signatures,
/// `prev` links, checkpoint notes and roots (`ChainVerifier`) and the stored hash column. The overview shows how
/// far it got and the first problem. A device with a problem is not checked further until `restart`.
actor ChainMonitor {
    /// What the monitor knows of one device's chain.
    struct Status: Sendable {
        var checkedThrough: UInt64 = 0
        var problem: String?
    }

    private struct Progress {
        var verifier: ChainVerifier
        var status = Status()
    }

    /// Events read and verified per step of one device.
    static let batch = 500

    private let store: any CollectorStore
    private let logger: Logger
    private var progress: [String: Progress] = [:]
    private var runner: Task<Void, Never>?

    init(store: any CollectorStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The device's status; starts the background check on first use.
    func status(device: String) -> Status? {
        startIfNeeded()
        return progress[device]?.status
    }

    /// Forgets everything checked, so every chain is verified again from seq 1.
    func restart() {
        progress = [:]
        startIfNeeded()
    }

    private func startIfNeeded() {
        guard runner == nil else { return }
        runner = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let busy = await self.step()
                if !busy { try? await Task.sleep(for: .seconds(2)) } else { await Task.yield() }
            }
        }
    }

    deinit { runner?.cancel() }

    /// Verifies up to `batch` more events of each device; true when some device may have more to check.
    func step() async -> Bool {
        let devices: [DeviceRecord]
        do { devices = try await store.devices() } catch {
            logger.warning("chain check: listing devices failed", metadata: ["error": "\(error)"])
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
                logger.warning("chain check: reading events failed", metadata: ["error": "\(error)"])
                return false
            }
            for row in rows {
                do {
                    _ = try p.verifier.check(line: row.line)
                    if row.seq != p.verifier.lastSeq {
                        p.status.problem = "seq \(row.seq): the row's seq column differs from its event"
                    } else if p.verifier.lastHash != row.hash {
                        p.status.problem = "seq \(row.seq): the stored hash differs from the event's bytes"
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
            progress[device.id] = p
        }
        return busy
    }
}
