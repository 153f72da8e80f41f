import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on 127.0.0.1 that holds every chunk `delay` before passing it on, each way: a server behind it
/// answers as one across a slow link would (a round trip of twice `delay`), with its throughput intact.
/// `close()` stops accepting and ends every relayed connection.
public final class LatencyProxy: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    private let upstreamPort: Int
    private let delay: Double
    private let listener: Int32
    private let sockets = Mutex<Set<Int32>>([])
    private let closed = Atomic(false)

    public init(upstreamPort: Int, delay: Duration) throws {
        self.upstreamPort = upstreamPort
        self.delay = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            Glibc.close(fd)
            throw Failure(description: "cannot listen on 127.0.0.1")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { close() }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for fd in sockets.withLock({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    private func acceptLoop() {
        while !closed.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard upstream >= 0, connected == 0 else {
                Glibc.close(client)
                if upstream >= 0 { Glibc.close(upstream) }
                continue
            }
            sockets.withLock { $0.formUnion([client, upstream]) }
            let ended = Countdown()
            let done: @Sendable () -> Void = { [self] in
                guard ended.count.add(1, ordering: .acquiringAndReleasing).newValue == 2 else { return }
                sockets.withLock { $0.subtract([client, upstream]) }
                Glibc.close(client)
                Glibc.close(upstream)
            }
            relay(from: client, to: upstream, done: done)
            relay(from: upstream, to: client, done: done)
        }
    }

    /// One direction: a reader stamps each chunk with when it is due, a writer sends it then.
    private func relay(from source: Int32, to target: Int32, done: @escaping @Sendable () -> Void) {
        let queue = Mutex<[(due: Double, bytes: [UInt8])]>([])
        let ready = DispatchSemaphore(value: 0)
        let delay = self.delay
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                let chunk = Array(buffer[0..<n])
                queue.withLock { $0.append((Date().timeIntervalSince1970 + delay, chunk)) }
                ready.signal()
            }
            queue.withLock { $0.append((0, [])) }  // the end, after what is queued
            ready.signal()
        }
        Thread.detachNewThread {
            while true {
                ready.wait()
                guard let next = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                if next.bytes.isEmpty { break }
                let wait = next.due - Date().timeIntervalSince1970
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                var offset = 0
                while offset < next.bytes.count {
                    let n = next.bytes[offset...].withUnsafeBytes {
                        send(target, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    guard n > 0 else { break }
                    offset += n
                }
                if offset < next.bytes.count { break }
            }
            shutdown(target, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
            done()
        }
    }
}

private final class Countdown: Sendable {
    let count = Atomic(0)
}
