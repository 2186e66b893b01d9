import NIOCore
import ORDPWire
import Testing

@Suite struct ServerConnectionStateMachineTests {
  let now = NIODeadline.now()

  func connected(
    _ configure: (inout ServerConnectionStateMachine.Configuration) -> Void = { _ in }
  ) -> ServerConnectionStateMachine {
    var config = ServerConnectionStateMachine.Configuration()
    configure(&config)
    var m = ServerConnectionStateMachine(configuration: config)
    guard case .sendHello = m.receive(F.hello(), now: now) else {
      Issue.record("HELLO not answered")
      return m
    }
    return m
  }

  func expectConnectionError(
    _ action: ServerConnectionStateMachine.FrameAction, _ code: GoAwayCode,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard case .connectionError(let e, _) = action else {
      Issue.record(
        "expected connection error \(code), got \(action)", sourceLocation: sourceLocation)
      return
    }
    #expect(e.code == code, sourceLocation: sourceLocation)
  }

  @Test func firstFrameMustBeHello() {
    var m = ServerConnectionStateMachine()
    expectConnectionError(m.receive(F.headers(1), now: now), .protocolError)
    #expect(m.isClosed)
    #expect({ if case .none = m.receive(F.hello(), now: now) { true } else { false } }())
  }

  @Test func helloIsAnsweredWithOurSettings() {
    var config = ServerConnectionStateMachine.Configuration()
    config.settings.maxConcurrentStreams = 7
    var m = ServerConnectionStateMachine(configuration: config)
    guard case .sendHello(let h) = m.receive(F.hello(), now: now) else {
      Issue.record("no hello"); return
    }
    #expect(h.version == 1)
    #expect(h.maxConcurrentStreams == 7)
  }

  @Test func unsupportedVersionAndUndecodableHello() {
    var m = ServerConnectionStateMachine()
    expectConnectionError(m.receive(F.hello(version: 2), now: now), .unsupportedVersion)
    var m2 = ServerConnectionStateMachine()
    expectConnectionError(
      m2.receive(F.raw(.hello, 0, bytes: [0xff, 0xff, 0xff]), now: now), .protocolError)
  }

  @Test func secondHelloIsAProtocolError() {
    var m = connected()
    expectConnectionError(m.receive(F.hello(), now: now), .protocolError)
  }

  @Test func opensCallsAndDeliversMessages() {
    var m = connected()
    guard case .openCall(1, let h, false) = m.receive(F.headers(1, method: "/a.B/C"), now: now)
    else {
      Issue.record("not opened"); return
    }
    #expect(h.method == "/a.B/C")
    guard
      case .requestMessage(1, let p, true) = m.receive(F.message(1, size: 5, end: true), now: now)
    else {
      Issue.record("no message"); return
    }
    #expect(p.readableBytes == 5)
    #expect(m.openStreamCount == 1)
    let r1 = m.callEnded(streamID: 1)
    #expect(r1 == .none)
    #expect(m.openStreamCount == 0)
  }

  /// Repeated HEADERS bytes reuse the last decoding; every different payload decodes as its own,
  /// including a method field followed by separately serialized fields (what clients send for
  /// calls with a deadline or metadata).
  @Test func repeatedAndConcatenatedHeadersDecode() throws {
    var m = connected()
    var rest = Ordp_Rpc_V1_RequestHeaders()
    rest.timeoutMicros = 1_500
    var entry = Ordp_Rpc_V1_MetadataEntry()
    entry.key = "x-k"
    entry.text = "v"
    rest.metadata = [entry]
    var pathOnly = Ordp_Rpc_V1_RequestHeaders()
    pathOnly.method = "/a.B/C"
    let concatenated: [UInt8] = try pathOnly.serializedBytes() + rest.serializedBytes()
    let frames = [
      F.headers(1, method: "/a.B/C", end: true), F.headers(3, method: "/a.B/C", end: true),
      F.headers(5, method: "/a.B/D", end: true),
      F.raw(.headers, 7, flags: .endStream, bytes: concatenated),
      F.headers(9, method: "/a.B/C", end: true),
    ]
    var seen: [(String, UInt64, Int)] = []
    for frame in frames {
      guard case .openCall(_, let h, true) = m.receive(frame, now: now) else {
        Issue.record("not opened: \(frame)"); return
      }
      seen.append((h.method, h.timeoutMicros, h.metadata.count))
    }
    #expect(seen.map(\.0) == ["/a.B/C", "/a.B/C", "/a.B/D", "/a.B/C", "/a.B/C"])
    #expect(seen.map(\.1) == [0, 0, 0, 1_500, 0])
    #expect(seen.map(\.2) == [0, 0, 0, 1, 0])
    // Same length, different bytes: not taken for the remembered payload.
    guard case .openCall(_, let h, _) = m.receive(F.headers(11, method: "/a.B/X"), now: now)
    else {
      Issue.record("not opened"); return
    }
    #expect(h.method == "/a.B/X")
  }

  @Test(arguments: [UInt32(3), 2, 1])
  func reusedOrDecreasingStreamIDIsAProtocolError(_ id: UInt32) {
    var m = connected()
    _ = m.receive(F.headers(3, end: true), now: now)
    _ = m.callEnded(streamID: 3)
    expectConnectionError(m.receive(F.headers(id), now: now), .protocolError)
  }

  @Test func stream0HeadersIsAProtocolError() {
    var m = connected()
    expectConnectionError(m.receive(F.headers(0), now: now), .protocolError)
  }

  @Test func refusesBeyondMaxConcurrentStreams() {
    var m = connected { $0.settings.maxConcurrentStreams = 2 }
    _ = m.receive(F.headers(1), now: now)
    _ = m.receive(F.headers(2), now: now)
    guard case .refuseCall(3, _) = m.receive(F.headers(3), now: now) else {
      Issue.record("not refused"); return
    }
    _ = m.callEnded(streamID: 1)
    guard case .openCall(4, _, _) = m.receive(F.headers(4), now: now) else {
      Issue.record("not opened"); return
    }
  }

  @Test func messageAfterEndStreamFailsOnlyThatCall() {
    var m = connected()
    _ = m.receive(F.headers(1, end: true), now: now)
    _ = m.receive(F.headers(2), now: now)
    guard case .failCall(1, let status) = m.receive(F.message(1), now: now) else {
      Issue.record("not failed"); return
    }
    #expect(status.code == .internal)
    #expect(!m.isClosed)
    #expect(m.isOpen(streamID: 2))
  }

  @Test func framesOnUnknownStreamsAreIgnored() {
    var m = connected()
    for f in [F.message(9), F.raw(.cancel, 9, bytes: []), F.windowUpdate(9, 10)] {
      guard case .none = m.receive(f, now: now) else {
        Issue.record("not ignored: \(f.type)"); return
      }
    }
    #expect(!m.isClosed)
  }

  @Test func unknownFrameTypesAreIgnored() {
    var m = connected()
    guard case .none = m.receive(F.raw(FrameType(rawValue: 0x7f), 0, bytes: [1, 2, 3]), now: now)
    else {
      Issue.record("unknown type not ignored"); return
    }
  }

  @Test func trailersFromClientAndZeroWindowUpdateAreProtocolErrors() {
    var m = connected()
    _ = m.receive(F.headers(1), now: now)
    expectConnectionError(m.receive(F.raw(.trailers, 1, bytes: []), now: now), .protocolError)
    var m2 = connected()
    _ = m2.receive(F.headers(1), now: now)
    expectConnectionError(m2.receive(F.windowUpdate(1, 0), now: now), .protocolError)
  }

  @Test func sendingWithAnExhaustedWindowIsAFlowControlError() {
    var m = connected { $0.settings.initialWindowSize = 10 }
    _ = m.receive(F.headers(1), now: now)
    guard case .requestMessage = m.receive(F.message(1, size: 50), now: now) else {
      Issue.record("first message refused"); return
    }
    expectConnectionError(m.receive(F.message(1, size: 1), now: now), .flowControlError)
  }

  @Test func consumptionGrantsCredit() {
    var m = connected { $0.settings.initialWindowSize = 10 }
    _ = m.receive(F.headers(1), now: now)
    _ = m.receive(F.message(1, size: 10), now: now)
    let r2 = m.consumed(streamID: 1, bytes: 10)
    #expect(r2 == 10)
    guard case .requestMessage = m.receive(F.message(1, size: 1), now: now) else {
      Issue.record("credit not granted"); return
    }
  }

  @Test func outboundWindowBlocksAndReopens() {
    var m = ServerConnectionStateMachine()
    var hello = Ordp_Rpc_V1_Hello()
    hello.initialWindowSize = 10
    _ = m.receive(F.frame(.hello, 0, hello), now: now)
    _ = m.receive(F.headers(1, end: true), now: now)
    let r3 = m.sendMessage(streamID: 1, bytes: 30)
    #expect(r3 == .send)
    let r4 = m.sendMessage(streamID: 1, bytes: 1)
    #expect(r4 == .wait)
    guard case .none = m.receive(F.windowUpdate(1, 10), now: now) else {
      Issue.record("opened too early"); return
    }
    guard case .windowOpened(1) = m.receive(F.windowUpdate(1, 11), now: now) else {
      Issue.record("not reopened"); return
    }
    let r5 = m.sendMessage(streamID: 1, bytes: 1)
    #expect(r5 == .send)
  }

  @Test func cancelEndsTheCall() {
    var m = connected()
    _ = m.receive(F.headers(1), now: now)
    guard case .callCancelled(1, let status) = m.receive(F.raw(.cancel, 1, bytes: []), now: now)
    else {
      Issue.record("not cancelled"); return
    }
    #expect(status.code == .cancelled)
    #expect(m.openStreamCount == 0)
  }

  @Test func halfCloseWithHeadersEndStream() {
    var m = connected()
    _ = m.receive(F.headers(1), now: now)
    _ = m.receive(F.message(1), now: now)
    guard
      case .endOfRequests(1) = m.receive(F.raw(.headers, 1, flags: .endStream, bytes: []), now: now)
    else {
      Issue.record("no end of requests"); return
    }
    guard case .failCall(1, _) = m.receive(F.message(1), now: now) else {
      Issue.record("message after end accepted"); return
    }
  }

  @Test func pingsAreAnsweredUntilTheyFlood() {
    var m = connected { $0.maxPingStrikes = 2 }
    let ping = F.raw(.ping, 0, bytes: Array(1...8))
    var t = now
    for _ in 0..<3 {
      guard case .pong(let p) = m.receive(ping, now: t) else {
        Issue.record("ping not answered"); return
      }
      #expect(Array(p.readableBytesView) == Array(1...8))
      t = t + .milliseconds(10)
    }
    expectConnectionError(m.receive(ping, now: t), .enhanceYourCalm)
  }

  @Test func slowPingsNeverStrike() {
    var m = connected()
    var t = now
    for _ in 0..<20 {
      guard case .pong = m.receive(F.raw(.ping, 0, bytes: Array(repeating: 0, count: 8)), now: t)
      else {
        Issue.record("ping refused"); return
      }
      t = t + .seconds(6)
    }
  }

  @Test func drainRefusesNewCallsAndClosesAfterTheLast() {
    var m = connected()
    _ = m.receive(F.headers(1), now: now)
    _ = m.receive(F.headers(2), now: now)
    guard case .sendGoAway(let g, closeNow: false) = m.beginDrain() else {
      Issue.record("no goaway"); return
    }
    #expect(g.lastStreamID == 2)
    #expect(g.code == GoAwayCode.noError.rawValue)
    guard case .refuseCall(3, _) = m.receive(F.headers(3), now: now) else {
      Issue.record("not refused"); return
    }
    let r6 = m.callEnded(streamID: 1)
    #expect(r6 == .none)
    let r7 = m.callEnded(streamID: 2)
    #expect(r7 == .close)
    #expect(m.isClosed)
  }

  @Test func idleTimeoutOnlyWithoutCalls() {
    var m = connected()
    _ = m.receive(F.headers(1), now: now)
    let r8 = m.idleTimeoutFired()
    #expect(r8 == nil)
    _ = m.callEnded(streamID: 1)
    let r9 = m.idleTimeoutFired()
    #expect(r9?.code == GoAwayCode.idleTimeout.rawValue)
  }
}

/// A client's half-close that crosses the server's end of the call.
@Suite struct LateHalfCloseTests {
  @Test func aHalfCloseAfterTheCallEndedIsIgnoredAnyOtherReuseIsNot() {
    var m = ServerConnectionStateMachine()
    _ = m.receive(F.hello(), now: .now())
    _ = m.receive(F.headers(1), now: .now())
    _ = m.receive(F.headers(2), now: .now())
    // The server answered call 1 (TRAILERS) while the client was half-closing it.
    _ = m.callEnded(streamID: 1)
    let late = m.receive(F.raw(.headers, 1, flags: .endStream, bytes: []), now: .now())
    #expect({ if case .none = late { true } else { false } }())
    #expect(!m.isClosed && m.isOpen(streamID: 2))
    // A HEADERS that would open an old id again is still a protocol error.
    guard case .connectionError(let error, _) = m.receive(F.headers(1), now: .now()) else {
      Issue.record("reuse accepted")
      return
    }
    #expect(error.code == .protocolError)
  }
}

/// Request messages decided on from their frame header, before their payload is read.
@Suite struct AnnouncedMessageTests {
  @Test func aMessageBeyondItsMethodsLimitIsRefusedAndSkippedTheConnectionGoesOn() {
    var m = ServerConnectionStateMachine()
    _ = m.receive(F.hello(), now: .now())
    _ = m.receive(F.headers(1), now: .now())
    _ = m.receive(F.headers(2), now: .now())
    #expect(m.messageAnnounced(streamID: 1, length: 1000, limit: 1024) == .read)
    #expect(m.messageAnnounced(streamID: 1, length: 4 << 20, limit: nil) == .read)
    #expect(
      m.messageAnnounced(streamID: 1, length: 4 << 20, limit: 65_536)
        == .refuse(limit: 65_536, pause: .milliseconds(50)))
    #expect(!m.isOpen(streamID: 1) && m.isOpen(streamID: 2) && !m.isClosed)
    // A message for a call that is over (refused, ended, never opened) is skipped; a large
    // one pauses the connection too.
    #expect(m.messageAnnounced(streamID: 1, length: 10, limit: nil) == .skip(pause: nil))
    #expect(
      m.messageAnnounced(streamID: 9, length: 4 << 20, limit: nil)
        == .skip(pause: .milliseconds(100)))
  }

  @Test func everyFurtherRefusalPausesTheConnectionTwiceAsLongUpToTheMaximum() {
    var m = ServerConnectionStateMachine()
    _ = m.receive(F.hello(), now: .now())
    var pauses: [TimeAmount] = []
    for id in UInt32(1)...8 {
      _ = m.receive(F.headers(id), now: .now())
      if case .refuse(_, let pause) = m.messageAnnounced(streamID: id, length: 1 << 20, limit: 10) {
        pauses.append(pause)
      }
    }
    #expect(
      pauses.map { $0.nanoseconds / 1_000_000 } == [50, 100, 200, 400, 800, 1600, 2000, 2000])
  }
}

/// Memory a client can make the server hold: credit it grants, request bytes it sends.
@Suite struct ServerConnectionMemoryTests {
  let now = NIODeadline.now()

  func connected(
    budget: RequestMemoryBudget? = nil, initialWindow: UInt32 = 0,
    _ configure: (inout ServerConnectionStateMachine.Configuration) -> Void = { _ in }
  ) -> ServerConnectionStateMachine {
    var config = ServerConnectionStateMachine.Configuration()
    configure(&config)
    var m = ServerConnectionStateMachine(configuration: config, budget: budget)
    var hello = Ordp_Rpc_V1_Hello()
    hello.version = 1
    hello.initialWindowSize = initialWindow
    _ = m.receive(F.frame(.hello, 0, hello), now: now)
    return m
  }

  static func isResourceExhausted(_ action: ServerConnectionStateMachine.FrameAction) -> Bool {
    if case .failCall(_, let status) = action { return status.code == .resourceExhausted }
    return false
  }

  static func isRequestMessage(_ action: ServerConnectionStateMachine.FrameAction) -> Bool {
    if case .requestMessage = action { return true }
    return false
  }

  @Test func aHugeGrantedWindowIsCappedAtTheServersMaximum() {
    var m = connected(initialWindow: UInt32.max) { $0.maximumSendWindow = 100 }
    _ = m.receive(F.headers(1), now: now)
    #expect(m.sendMessage(streamID: 1, bytes: 60) == .send)
    #expect(m.sendMessage(streamID: 1, bytes: 60) == .send)  // window 40 > 0: may go negative
    #expect(m.sendMessage(streamID: 1, bytes: 60) == .wait)
    // Updates beyond the cap are not used either.
    _ = m.receive(F.windowUpdate(1, 1_000_000), now: now)
    #expect(m.sendMessage(streamID: 1, bytes: 60) == .send)
    #expect(m.sendMessage(streamID: 1, bytes: 60) == .send)
    #expect(m.sendMessage(streamID: 1, bytes: 60) == .wait)
  }

  @Test func requestBytesHeldByOneConnectionAreCapped() {
    var m = connected { $0.maxBufferedRequestBytes = 10 }
    _ = m.receive(F.headers(1), now: now)
    _ = m.receive(F.headers(2), now: now)
    _ = m.receive(F.headers(3), now: now)
    #expect(Self.isRequestMessage(m.receive(F.message(1, size: 6), now: now)))
    #expect(Self.isResourceExhausted(m.receive(F.message(2, size: 6), now: now)))
    #expect(!m.isOpen(streamID: 2))
    // The handler consumed stream 1's message: room again.
    _ = m.consumed(streamID: 1, bytes: 6)
    #expect(Self.isRequestMessage(m.receive(F.message(3, size: 6, end: true), now: now)))
    #expect(m.bufferedRequestBytes == 6)
    // A call that ends releases what it held.
    _ = m.callEnded(streamID: 3)
    #expect(m.bufferedRequestBytes == 0)
  }

  @Test func allConnectionsOfAServerShareOneBudget() {
    let budget = RequestMemoryBudget(limit: 10)
    var first = connected(budget: budget)
    var second = connected(budget: budget)
    _ = first.receive(F.headers(1), now: now)
    _ = second.receive(F.headers(1), now: now)
    #expect(Self.isRequestMessage(first.receive(F.message(1, size: 8), now: now)))
    #expect(Self.isResourceExhausted(second.receive(F.message(1, size: 4), now: now)))
    _ = first.transportClosed()
    #expect(budget.held == 0)
    _ = second.receive(F.headers(2), now: now)
    #expect(Self.isRequestMessage(second.receive(F.message(2, size: 4), now: now)))
    #expect(budget.held == 4)
  }
}
