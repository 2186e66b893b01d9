import NIOCore
import NIOPosix
import ORDPRPC
import Synchronization

/// A minimal ORDP/1 peer that answers HELLO and refuses every call (`CANCEL UNAVAILABLE`,
/// `ordp-refused: 1`), as an overloaded or draining server would; it counts the PINGs it gets
/// and answers them unless told not to, and the calls it refused; `helloDelay` makes it greet
/// late, as a loaded server does. Plaintext. Other behaviours never answer HELLO:
/// `resetBeforeHello` resets the connection 20 ms after the first bytes arrive, as the kernel
/// does to a connection still in the backlog of a listener that closes; `silent` reads and
/// says nothing.
final class RefusingServer: Sendable {
  let channel: any Channel
  let counters: Counters
  var port: Int { channel.localAddress!.port! }

  enum Behaviour: Sendable {
    case refuse, resetBeforeHello, silent
  }

  final class Counters: Sendable {
    let pings = Atomic<Int>(0)
    let refusedCalls = Atomic<Int>(0)
    let closedConnections = Atomic<Int>(0)
  }

  private init(channel: any Channel, counters: Counters) {
    self.channel = channel
    self.counters = counters
  }

  static func start(
    answerPings: Bool = true, behaviour: Behaviour = .refuse, helloDelay: TimeAmount? = nil
  ) async throws -> RefusingServer {
    let counters = Counters()
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            Handler(
              counters: counters, answerPings: answerPings, behaviour: behaviour,
              helloDelay: helloDelay))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    return RefusingServer(channel: channel, counters: counters)
  }

  func close() async throws { try await channel.close() }

  private final class Handler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var buffer = ByteBuffer()
    let decoder = FrameDecoder(maxFrameSize: 1 << 20)
    let counters: Counters
    let answerPings: Bool
    let behaviour: Behaviour
    let helloDelay: TimeAmount?
    var resetScheduled = false

    init(counters: Counters, answerPings: Bool, behaviour: Behaviour, helloDelay: TimeAmount?) {
      self.counters = counters
      self.answerPings = answerPings
      self.behaviour = behaviour
      self.helloDelay = helloDelay
    }

    func channelInactive(context: ChannelHandlerContext) {
      counters.closedConnections.add(1, ordering: .relaxed)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      if behaviour == .silent { return }
      if behaviour == .resetBeforeHello {
        guard !resetScheduled else { return }
        resetScheduled = true
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .milliseconds(20)) {
          let reset = (channel as? any SocketOptionProvider)?.setSoLinger(
            linger(l_onoff: 1, l_linger: 0))
          reset?.whenComplete { _ in channel.close(promise: nil) }
        }
        return
      }
      var bytes = unwrapInboundIn(data)
      buffer.writeBuffer(&bytes)
      var out = ByteBuffer()
      while let frame = try? decoder.nextFrame(from: &buffer) {
        switch frame.type {
        case .hello:
          var hello = ByteBuffer()
          try? hello.writeFrame(.hello, streamID: 0, message: ConnectionSettings.defaults.hello)
          if let helloDelay {
            let channel = context.channel
            let greeting = hello
            context.eventLoop.scheduleTask(in: helloDelay) {
              channel.writeAndFlush(greeting, promise: nil)
            }
          } else {
            out.writeBuffer(&hello)
          }
        case .headers where !frame.flags.contains(.endStream) || frame.payload.readableBytes > 0:
          var status = RPCStatus(code: .unavailable, message: "overloaded")
          status.metadata.add("ordp-refused", "1")
          counters.refusedCalls.add(1, ordering: .relaxed)
          try? out.writeFrame(.cancel, streamID: frame.streamID, message: status.wire)
        case .ping where !frame.flags.contains(.ack):
          counters.pings.add(1, ordering: .relaxed)
          if answerPings { out.writeFrame(.ping, flags: .ack, streamID: 0, payload: frame.payload) }
        default:
          break
        }
      }
      if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
    }
  }
}
