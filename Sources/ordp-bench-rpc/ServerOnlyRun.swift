import Foundation
import NIOCore
import NIOEmbedded
import ORDPEcho
@_spi(Benchmarks) import ORDPRPC
import ORDPWire

/// The server's own work per unary call, timed in memory: request bytes fed to the ORDP/1
/// connection handler in an embedded channel (no sockets, no TLS, the handler on the same
/// thread), against the bare echo's handlers fed the same way. Steadier than the socket rows
/// for comparing two builds of the server path; it leaves out what the sockets and TLS cost.
enum ServerOnlyRun {
  static func run(calls: Int, rounds: Int) throws {
    let ordp = try ordpNanosPerCall(calls: calls, rounds: rounds)
    let echo = try echoNanosPerCall(calls: calls, rounds: rounds)
    print(
      String(
        format: """
          server side only, in memory, best of %d rounds of %d calls:
            ORDP/1 unary echo:  %5.0f ns/call
            bare NIO echo:      %5.0f ns/call
          """, rounds, calls, ordp, echo))
  }

  private static func ordpNanosPerCall(calls: Int, rounds: Int) throws -> Double {
    var router = RPCRouter()
    EchoService().registerMethods(with: &router)
    let loop = EmbeddedEventLoop()
    let channel = EmbeddedChannel(
      handler: BenchmarkSupport.serverConnectionHandler(router: router, eventLoop: loop),
      loop: loop)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    var hello = ByteBuffer()
    try hello.writeFrame(.hello, streamID: 0, message: ConnectionSettings.defaults.hello)
    try feed(hello, to: channel)
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = "/ordp.echo.v1.Echo/Get"
    let request = Ordp_Echo_V1_EchoRequest.with { $0.text = "0123456789abcdef" }
    // One call first, checked: the timed calls must be answered, not refused or failed.
    var first = ByteBuffer()
    try first.writeFrame(.headers, streamID: 1, message: headers)
    try first.writeFrame(.message, flags: .endStream, streamID: 1, message: request)
    var answer = try feed(first, to: channel)
    let decoder = FrameDecoder(maxFrameSize: 1 << 20)
    var types: [FrameType] = []
    var trailers = ByteBuffer()
    while let frame = try decoder.nextFrame(from: &answer) {
      types.append(frame.type)
      if frame.type == .trailers { trailers = frame.payload }
    }
    guard types == [.message, .trailers], trailers.readableBytes == 0 else {
      throw ServerOnlyError.unexpectedAnswer(types.map(\.description).joined(separator: " "))
    }
    // Every call needs a new, higher stream id: all rounds' requests are built first.
    var streamID: UInt32 = 3
    var allRounds: [[ByteBuffer]] = []
    for _ in 0..<rounds {
      var inputs: [ByteBuffer] = []
      inputs.reserveCapacity(calls)
      for _ in 0..<calls {
        var b = ByteBuffer()
        try b.writeFrame(.headers, streamID: streamID, message: headers)
        try b.writeFrame(.message, flags: .endStream, streamID: streamID, message: request)
        inputs.append(b)
        streamID += 2
      }
      allRounds.append(inputs)
    }
    return try best(of: allRounds, on: channel)
  }

  private static func echoNanosPerCall(calls: Int, rounds: Int) throws -> Double {
    let channel = EmbeddedChannel(loop: EmbeddedEventLoop())
    try channel.pipeline.syncOperations.addHandler(
      ByteToMessageHandler(FloorEcho.LengthPrefixDecoder()))
    try channel.pipeline.syncOperations.addHandler(FloorEcho.EchoHandler())
    var message = ByteBuffer()
    message.writeInteger(UInt32(16))
    message.writeString("0123456789abcdef")
    let inputs = [ByteBuffer](repeating: message, count: calls)
    return try best(of: [[ByteBuffer]](repeating: inputs, count: rounds), on: channel)
  }

  /// Feeds each round's inputs as one read each, takes the answer; the fastest round's time
  /// per call.
  private static func best(
    of rounds: [[ByteBuffer]], on channel: EmbeddedChannel
  ) throws
    -> Double
  {
    let clock = ContinuousClock()
    var best = Double.infinity
    for inputs in rounds {
      let start = clock.now
      for bytes in inputs { try feed(bytes, to: channel) }
      let d = clock.now - start
      let nanos = Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
      best = min(best, nanos / Double(inputs.count))
    }
    return best
  }

  /// Delivers `bytes` as one read and returns what the handlers wrote in answer.
  @discardableResult
  private static func feed(_ bytes: ByteBuffer, to channel: EmbeddedChannel) throws -> ByteBuffer {
    channel.pipeline.syncOperations.fireChannelRead(NIOAny(bytes))
    channel.pipeline.fireChannelReadComplete()
    guard let answer = try channel.readOutbound(as: ByteBuffer.self) else {
      throw ServerOnlyError.noAnswer
    }
    return answer
  }

  enum ServerOnlyError: Error {
    case noAnswer
    /// An OK unary answer is MESSAGE then an empty TRAILERS; these frames came instead.
    case unexpectedAnswer(String)
  }
}
