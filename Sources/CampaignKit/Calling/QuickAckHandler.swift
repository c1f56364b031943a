import NIOCore

#if os(Linux)
    import Glibc
#endif

/// Turns on `TCP_QUICKACK` after each request is written, so that Linux acknowledges the head of the
/// answer at once rather than up to 40 ms later.
///
/// Many servers (Python's `http.server`, and others) write an answer's head and body in two `send()` calls
/// and leave Nagle's algorithm on: the body waits in the server's kernel until the head is acknowledged.
/// Linux delays that acknowledgement (delayed ACK, at least 40 ms) once it takes a connection for
/// interactive ("pingpong" mode), which it does when we send within about 40 ms of the last answer. A pool
/// of keep-alive connections does exactly that: a poll goes out on a connection that answered another call
/// a moment ago. Every such answer then stalled about 40 ms, and polling ran about 40 % slower than asked.
/// `TCP_QUICKACK` leaves pingpong mode; it is not sticky, so it is set again after every request.
/// No effect elsewhere (macOS has no such option); one `setsockopt` per request.
final class QuickAckHandler: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = Any

    func flush(context: ChannelHandlerContext) {
        // Placed first in the pipeline (beside the socket), so the request's bytes are written by now.
        context.flush()
        #if os(Linux)
            try? context.channel.syncOptions?.setOption(
                .socket(SocketOptionLevel(IPPROTO_TCP), SocketOptionName(TCP_QUICKACK)), value: 1)
        #endif
    }

    /// For AsyncHTTPClient's connection initializers: adds the handler beside the socket.
    static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.pipeline.addHandler(QuickAckHandler(), position: .first)
    }
}
