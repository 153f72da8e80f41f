import Synchronization
import Hummingbird
import HummingbirdCore
import NIOCore

/// The request context of the collector's routes: Hummingbird's, plus the peer's address for rate limits.
public struct CollectorRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address, the key of the per-address rate limit.
    var peer: String { remoteAddress?.ipAddress ?? "?" }
}

/// Closes a connection whose first request's headers have not arrived `timeout` after it opened (slowloris).
/// Later requests on a kept-alive connection are bounded by the idle timeout.
///
/// It sits after the HTTP decoder, which passes nothing on before a request's head is complete, so the first
/// read it sees means the headers are in.
final class HeaderTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var headersArrived = false

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headersArrived {
            headersArrived = true
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { deadline?.cancel() }

    private func arm(_ context: ChannelHandlerContext) {
        guard deadline == nil, !headersArrived else { return }
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

/// How many connections each address has open, against a limit per address.
final class ConnectionsPerAddress: Sendable {
    let limit: Int
    private let open = Mutex<[String: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// Counts one more connection from `address`; false, counting nothing, when it has `limit` open already.
    func admit(_ address: String) -> Bool {
        open.withLock { table in
            let n = table[address, default: 0]
            guard n < limit else { return false }
            table[address] = n + 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLock { table in
            let n = table[address, default: 0]
            if n <= 1 { table[address] = nil } else { table[address] = n - 1 }
        }
    }

    /// Connections open from `address` now.
    func count(_ address: String) -> Int { open.withLock { $0[address, default: 0] } }
}

/// Closes a connection from an address that already has its share open (`maxConnectionsPerAddress`), so one
/// host holding many idle or half-sent connections cannot use up the collector's connections for everyone.
final class PerAddressConnectionLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let connections: ConnectionsPerAddress
    private var admitted: String?

    init(_ connections: ConnectionsPerAddress) { self.connections = connections }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "?"
        if connections.admit(address) {
            admitted = address
        } else {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let admitted { connections.release(admitted) }
        admitted = nil
    }
}
