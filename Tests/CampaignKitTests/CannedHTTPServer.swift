import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A loopback HTTP server that answers with bytes a test writes by hand: what the simulator, a
/// well-behaved server, never sends (a body that stalls after its head, odd ids, escape sequences,
/// odd Retry-After values). It reads each request whole, records its request line, then writes the
/// answer `respond` gives for it; an answer ending without `Connection: close` keeps the socket open.
///
/// With `splitHeadAndBody` it writes like Python's `http.server` and many frameworks: Nagle's algorithm on,
/// the head in one `send()`, the body in a second one.
final class CannedHTTPServer: Sendable {
    private let channel: any Channel
    private let seen: Seen
    let baseURL: URL

    /// Request lines received so far (`POST /calls HTTP/1.1`), in order.
    var requestLines: [String] { seen.lines.withLock { $0.map(\.line) } }
    /// Request lines with the instant each request was complete.
    var requests: [(line: String, at: ContinuousClock.Instant)] { seen.lines.withLock { $0 } }

    final class Seen: Sendable {
        let lines = Mutex<[(line: String, at: ContinuousClock.Instant)]>([])
    }

    private init(channel: any Channel, seen: Seen, port: Int) {
        self.channel = channel
        self.seen = seen
        self.baseURL = URL(string: "http://127.0.0.1:\(port)")!
    }

    static func start(
        splitHeadAndBody: Bool = false, respond: @escaping @Sendable (_ requestLine: String) -> String
    ) async throws -> CannedHTTPServer {
        let seen = Seen()
        let recorder: @Sendable (String) -> String = { line in
            seen.lines.withLock { $0.append((line, .now)) }
            return respond(line)
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: splitHeadAndBody ? 0 : 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(respond: recorder, splitHeadAndBody: splitHeadAndBody))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedHTTPServer(channel: channel, seen: seen, port: channel.localAddress?.port ?? 0)
    }

    func shutdown() async {
        try? await channel.close()
    }

    /// A whole answer: status line, headers (Content-Length added from the body), body.
    static func answer(_ status: String, headers: [String] = [], body: String) -> String {
        let lines = ["HTTP/1.1 \(status)", "Content-Length: \(body.utf8.count)"] + headers
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let respond: @Sendable (String) -> String
        let splitHeadAndBody: Bool
        var pending: [UInt8] = []

        init(respond: @escaping @Sendable (String) -> String, splitHeadAndBody: Bool) {
            self.respond = respond
            self.splitHeadAndBody = splitHeadAndBody
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            while let request = takeRequest() {
                let answer = respond(request)
                if splitHeadAndBody, let end = answer.range(of: "\r\n\r\n") {
                    // Each flush is its own send(): the head goes out, the body waits for its ACK.
                    write(String(answer[..<end.upperBound]), context: context)
                    write(String(answer[end.upperBound...]), context: context)
                } else {
                    write(answer, context: context)
                }
            }
        }

        func write(_ text: String, context: ChannelHandlerContext) {
            var out = context.channel.allocator.buffer(capacity: text.utf8.count)
            out.writeString(text)
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }

        /// The request line of the first complete request in `pending`, removing that request.
        func takeRequest() -> String? {
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            guard let end = pending.indices.dropLast(3).first(where: { Array(pending[$0..<$0 + 4]) == separator })
            else { return nil }
            let head = String(decoding: pending[..<end], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let length =
                lines.dropFirst().compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first ?? 0
            guard pending.count >= end + 4 + length else { return nil }
            pending.removeFirst(end + 4 + length)
            return lines.first ?? ""
        }
    }
}
