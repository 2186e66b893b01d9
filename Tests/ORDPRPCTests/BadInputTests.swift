import NIOCore
import ORDPEcho
import ORDPRPC
import SwiftProtobuf
import Testing

/// Every bad-input case of WIRE.md against a real server over loopback: the precise reaction,
/// and other connections and calls unharmed.
@Suite struct BadInputTests {
  static let get = "/ordp.echo.v1.Echo/Get"

  /// A well-behaved client on its own connection still gets answers.
  static func expectHealthy(
    port: Int, sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    let channel = makeChannel(port: port, security: .plaintext)
    defer { channel.close() }
    let r = try await Ordp_Echo_V1_Echo_Client(channel: channel).get(echoRequest("still here"))
    #expect(r.text == "still here", sourceLocation: sourceLocation)
  }

  static func status(_ frame: Frame?) throws -> RPCStatus? {
    guard let frame else { return nil }
    return RPCStatus(try Ordp_Rpc_V1_Status(buffer: frame.payload))
  }

  func plaintextServer(
    configure: @escaping (inout ServerConfiguration) -> Void = { _ in },
    _ body: (Int) async throws -> Void
  ) async throws {
    try await withServer(security: .plaintext, configure: configure) { _, port in
      try await body(port)
    }
  }

  @Test func oversizedFrameIsRejectedFromItsHeader() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      var header = ByteBuffer()
      header.writeFrameHeader(.message, flags: [], streamID: 1, length: 100_000_000)
      try await raw.send(bytes: Array(header.readableBytesView))  // no payload follows
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.frameTooLarge.rawValue)
      let closed = try await raw.closed(within: .seconds(5))
      #expect(closed)
      try await Self.expectHealthy(port: port)
    }
  }

  @Test func firstFrameMustBeHello() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port, hello: false)
      defer { raw.close() }
      try await raw.call(1, method: Self.get, request: [])
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.protocolError.rawValue)
      #expect(goAway?.message.contains("HELLO") == true)
      try await Self.expectHealthy(port: port)
    }
  }

  @Test func bytesThatAreNotFramesEndTheConnection() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port, hello: false)
      defer { raw.close() }
      try await raw.send(bytes: Array("GET / HTTP/1.1\r\nHost: ordp\r\n\r\n".utf8))
      let closed = try await raw.closed(within: .seconds(5))
      #expect(closed)
      try await Self.expectHealthy(port: port)
    }
  }

  @Test(arguments: [UInt32(5), 3])
  func reusedOrDecreasingStreamIDIsAProtocolError(_ id: UInt32) async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(5, method: Self.get, request: try echoRequest("a").serializedBytes())
      #expect(try await raw.nextFrame(on: 5)?.type == .message)
      try await raw.call(id, method: Self.get, request: try echoRequest("b").serializedBytes())
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.protocolError.rawValue)
      #expect(goAway?.lastStreamID == 5)
      try await Self.expectHealthy(port: port)
    }
  }

  @Test func undecodableRequestIsInvalidArgumentAndHarmsNoOtherCall() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(1, method: Self.get, request: [0xff, 0xff, 0xff, 0xff])
      let s = try Self.status(try await raw.nextFrame(on: 1))
      #expect(s?.code == .invalidArgument)
      #expect(s?.message.contains("ordp.echo.v1.EchoRequest") == true)
      try await raw.call(2, method: Self.get, request: try echoRequest("fine").serializedBytes())
      let f = try await raw.nextFrame(on: 2)
      #expect(f?.type == .message)
      #expect(try Ordp_Echo_V1_EchoResponse(buffer: f!.payload).text == "fine")
    }
  }

  @Test func unknownMethodIsUnimplemented() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(1, method: "/no.Such/Method", request: [])
      let s = try Self.status(try await raw.nextFrame(on: 1))
      #expect(s?.code == .unimplemented)
    }
  }

  @Test func unaryWithoutARequestMessageIsInternal() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(1, method: Self.get, request: nil)
      let s = try Self.status(try await raw.nextFrame(on: 1))
      #expect(s?.code == .internal)
    }
  }

  @Test func unaryWithTwoRequestMessagesIsInternal() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      var h = Ordp_Rpc_V1_RequestHeaders()
      h.method = Self.get
      try await raw.send(.headers, stream: 1, message: h)
      try await raw.send(.message, stream: 1, bytes: try echoRequest("one").serializedBytes())
      try await raw.send(
        .message, flags: .endStream, stream: 1, bytes: try echoRequest("two").serializedBytes())
      let s = try Self.status(try await raw.nextFrame(on: 1))
      #expect(s?.code == .internal)
      try await raw.call(2, method: Self.get, request: try echoRequest("next").serializedBytes())
      #expect(try await raw.nextFrame(on: 2)?.type == .message)
    }
  }

  @Test func messageAfterEndStreamCancelsOnlyThatCall() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(
        1, method: Self.get,
        request: try echoRequest("slow", delayMicros: 500_000).serializedBytes())
      try await raw.send(.message, stream: 1, bytes: [])
      let f = try await raw.nextFrame(on: 1)
      #expect(f?.type == .cancel)
      #expect(try Self.status(f)?.code == .internal)
      try await raw.call(2, method: Self.get, request: try echoRequest("next").serializedBytes())
      #expect(try await raw.nextFrame(on: 2)?.type == .message)
    }
  }

  @Test func tooManyConcurrentStreamsAreRefusedAsUnprocessed() async throws {
    try await plaintextServer(configure: { $0.connection.settings.maxConcurrentStreams = 2 }) {
      port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      let slow: [UInt8] = try echoRequest("slow", delayMicros: 300_000).serializedBytes()
      for id: UInt32 in 1...3 { try await raw.call(id, method: Self.get, request: slow) }
      var byStream: [UInt32: Frame] = [:]
      while byStream.count < 3, let f = try await raw.nextFrame() {
        if f.type == .cancel || f.type == .trailers { byStream[f.streamID] = f }
      }
      #expect(byStream[3]?.type == .cancel)
      let refused = try Self.status(byStream[3])
      #expect(refused?.code == .unavailable)
      #expect(refused?.isRefused == true)
      #expect(try Self.status(byStream[1])?.code == .ok)
      #expect(try Self.status(byStream[2])?.code == .ok)
    }
  }

  @Test func silentPeerIsClosedAfterTheHandshakeTimeout() async throws {
    for tls in [false, true] {
      try await withServer(
        security: tls ? TestPKI.serverSecurity() : .plaintext,
        configure: { $0.handshakeTimeout = .milliseconds(300) }
      ) { _, port in
        let raw = try await RawConnection.connect(port: port, hello: false)
        defer { raw.close() }
        let closed = try await raw.closed(within: .seconds(5))
        #expect(closed, "tls: \(tls)")
      }
    }
  }

  @Test func pingIsAnsweredAndAFloodIsCalmed() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.send(.ping, bytes: [1, 2, 3, 4, 5, 6, 7, 8])
      let pong = try await raw.nextFrame()
      #expect(pong?.type == .ping)
      #expect(pong?.flags == .ack)
      #expect(pong.map { Array($0.payload.readableBytesView) } == [1, 2, 3, 4, 5, 6, 7, 8])
      for _ in 0..<50 { try? await raw.send(.ping, bytes: [0, 0, 0, 0, 0, 0, 0, 0]) }
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.enhanceYourCalm.rawValue)
      try await Self.expectHealthy(port: port)
    }
  }

  @Test func unknownFrameTypesAreIgnored() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.send(FrameType(rawValue: 0x42), stream: 9, bytes: [1, 2, 3])
      try await raw.call(1, method: Self.get, request: try echoRequest("ok").serializedBytes())
      #expect(try await raw.nextFrame(on: 1)?.type == .message)
    }
  }

  @Test func trailersFromTheClientAndZeroWindowUpdatesAreProtocolErrors() async throws {
    try await plaintextServer { port in
      for frame in [(FrameType.trailers, [UInt8]()), (FrameType.windowUpdate, [0, 0, 0, 0])] {
        let raw = try await RawConnection.connect(port: port)
        defer { raw.close() }
        try await raw.call(
          1, method: Self.get, request: try echoRequest("x", delayMicros: 300_000).serializedBytes()
        )
        try await raw.send(frame.0, stream: 1, bytes: frame.1)
        let goAway = try await raw.goAway()
        #expect(goAway?.code == GoAwayCode.protocolError.rawValue)
      }
      try await Self.expectHealthy(port: port)
    }
  }

  @Test func idleConnectionsAreClosedWithIdleTimeout() async throws {
    try await plaintextServer(configure: { $0.idleTimeout = .seconds(1) }) { port in
      let raw = try await RawConnection.connect(port: port)
      defer { raw.close() }
      try await raw.call(1, method: Self.get, request: try echoRequest("x").serializedBytes())
      #expect(try await raw.nextFrame(on: 1)?.type == .message)
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.idleTimeout.rawValue)
    }
  }

  @Test func unsupportedVersionIsRefused() async throws {
    try await plaintextServer { port in
      let raw = try await RawConnection.connect(port: port, hello: false)
      defer { raw.close() }
      var h = Ordp_Rpc_V1_Hello()
      h.version = 9
      try await raw.send(.hello, message: h)
      let goAway = try await raw.goAway()
      #expect(goAway?.code == GoAwayCode.unsupportedVersion.rawValue)
    }
  }
}
