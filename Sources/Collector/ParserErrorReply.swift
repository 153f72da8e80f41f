import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request the HTTP decoder refused (a request line or header block beyond its 80 KiB, or bytes that are
/// not HTTP/1.1) with the API's JSON `bad_request`, then closes the connection. Hummingbird's own answer is a 400
/// with an empty body. When a response is still owed on the connection (pipelined requests) this one cannot go
/// first: the error then passes on to Hummingbird, which answers after it.
///
/// It sits after the HTTP codec, where it sees request heads come in and response ends go out.
final class ParserErrorReply: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let body = Array(
        (#"{"error":{"code":"bad_request","message":"the request is not HTTP/1.1 the collector reads: "#
            + #"malformed, or its request line or headers are over 80 KiB"}}"#).utf8)

    private var heads = 0
    private var ends = 0
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { heads += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { ends += 1 }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !answered, heads == ends else {
            // A second error of the same bad input, once answered, is not passed on either.
            if !answered || !(error is HTTPParserError) { context.fireErrorCaught(error) }
            return
        }
        answered = true
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(Self.body.count)
        head.headerFields[.connection] = "close"
        let channel = context.channel
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: Self.body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }
}
