public import NIOCore

/// The client side of one ORDP/1 connection, without I/O.
///
/// It allocates stream ids, respects the server's `max_concurrent_streams` and flow-control
/// windows, and turns received frames into per-call events. After GOAWAY it opens nothing
/// more and reports which calls the server will not process (safe to retry elsewhere).
public struct ClientConnectionStateMachine: Sendable {
  struct Stream: Sendable {
    var localClosed = false
    var outbound: FlowWindow
    var inbound: FlowWindow
    var replenisher: WindowReplenisher
  }

  enum Phase: Sendable, Hashable {
    case awaitingHello
    case open
    case goingAway(lastStreamID: UInt32)
    case closed
  }

  /// What to do about one received frame.
  public enum FrameAction: Sendable {
    case none
    /// The server's HELLO arrived with these settings.
    case helloReceived(ConnectionSettings)
    case responseHeaders(streamID: UInt32, metadata: Metadata)
    case responseMessage(streamID: UInt32, payload: ByteBuffer)
    /// TRAILERS or CANCEL: the call is over with this status; the stream is forgotten.
    case callEnded(streamID: UInt32, status: RPCStatus)
    case windowOpened(streamID: UInt32)
    case pong(ByteBuffer)
    case pingAck(ByteBuffer)
    /// GOAWAY: open no more calls here. `unprocessed` calls were not (and will not be)
    /// processed and may be retried elsewhere; they are forgotten. A code other than
    /// NO_ERROR means the server closes the connection right away.
    case goAway(code: GoAwayCode, message: String, unprocessed: [UInt32], closeNow: Bool)
    /// The server broke the protocol: send GOAWAY and close; every call fails.
    case connectionError(ConnectionError)
  }

  /// Result of asking for a new stream.
  public enum OpenDecision: Sendable, Hashable {
    case open(streamID: UInt32)
    /// At the server's `max_concurrent_streams`: wait for a call to end.
    case atLimit
    /// GOAWAY received or closed: use another connection.
    case unavailable
  }

  public let localSettings: ConnectionSettings
  public private(set) var peerSettings: ConnectionSettings = .defaults
  var phase: Phase = .awaitingHello
  var streams = StreamTable<Stream>()
  var nextStreamID: UInt32 = 1

  public init(localSettings: ConnectionSettings = .defaults) {
    self.localSettings = localSettings
  }

  /// The HELLO to send right after the TLS handshake.
  public var hello: Ordp_Rpc_V1_Hello { localSettings.hello }

  public var openStreamCount: Int { streams.count }
  public var isAcceptingCalls: Bool {
    switch phase {
    case .awaitingHello, .open: return nextStreamID != 0
    default: return false
    }
  }
  public var isClosed: Bool { phase == .closed }

  // MARK: - Local events

  /// Opens a new stream for a call.
  public mutating func openStream() -> OpenDecision {
    guard isAcceptingCalls else { return .unavailable }
    guard streams.count < Int(peerSettings.maxConcurrentStreams) else { return .atLimit }
    let id = nextStreamID
    nextStreamID = id == UInt32.max ? 0 : id + 1  // 0: ids exhausted, open a new connection
    streams[id] = Stream(
      outbound: FlowWindow(initial: peerSettings.initialWindowSize),
      inbound: FlowWindow(initial: localSettings.initialWindowSize),
      replenisher: WindowReplenisher(initialWindow: localSettings.initialWindowSize))
    return .open(streamID: id)
  }

  /// The caller wants to send a request message of `bytes` payload bytes.
  public mutating func sendMessage(
    streamID: UInt32, bytes: Int
  ) -> ServerConnectionStateMachine.SendDecision {
    guard var stream = streams[streamID], !stream.localClosed else { return .streamClosed }
    guard stream.outbound.consume(bytes) else { return .wait }
    streams[streamID] = stream
    return .send
  }

  /// The caller sends its only request message of `bytes` payload bytes with END_STREAM
  /// (unary and server-streaming calls): `sendMessage` and `halfClose` in one.
  public mutating func sendLastMessage(
    streamID: UInt32, bytes: Int
  ) -> ServerConnectionStateMachine.SendDecision {
    guard var stream = streams[streamID], !stream.localClosed else { return .streamClosed }
    guard stream.outbound.consume(bytes) else { return .wait }
    stream.localClosed = true
    streams[streamID] = stream
    return .send
  }

  /// The caller sent END_STREAM.
  public mutating func halfClose(streamID: UInt32) {
    guard var stream = streams[streamID] else { return }
    stream.localClosed = true
    streams[streamID] = stream
  }

  /// The caller consumed `bytes` of response payload: WINDOW_UPDATE increment, if due.
  public mutating func consumed(streamID: UInt32, bytes: Int) -> UInt32? {
    guard var stream = streams[streamID] else { return nil }
    let increment = stream.replenisher.consumed(bytes)
    if let increment { _ = stream.inbound.grant(increment) }
    streams[streamID] = stream
    return increment
  }

  /// The caller cancelled (CANCEL sent) or the call ended: forget the stream.
  public mutating func forget(streamID: UInt32) {
    streams[streamID] = nil
  }

  public func isOpen(streamID: UInt32) -> Bool { streams[streamID] != nil }

  /// The transport closed: these calls are lost.
  public mutating func transportClosed() -> [UInt32] {
    phase = .closed
    let ids = Array(streams.keys)
    streams.removeAll()
    return ids
  }

  // MARK: - Received frames

  public mutating func receive(_ frame: Frame) -> FrameAction {
    if phase == .closed { return .none }
    if phase == .awaitingHello, frame.type != .hello, frame.type != .goAway {
      return fail(.protocolError, "the server's first frame must be HELLO, got \(frame.type)")
    }
    switch frame.type {
    case .hello:
      guard phase == .awaitingHello else { return fail(.protocolError, "HELLO sent twice") }
      guard let hello = try? Ordp_Rpc_V1_Hello(buffer: frame.payload) else {
        return fail(.protocolError, "HELLO payload is not a Hello message")
      }
      guard hello.version == 0 || hello.version == ConnectionSettings.protocolVersion else {
        return fail(.unsupportedVersion, "server speaks protocol version \(hello.version)")
      }
      let settings = ConnectionSettings(hello: hello)
      let delta = Int64(settings.initialWindowSize) - Int64(peerSettings.initialWindowSize)
      if delta != 0 {
        for (id, var s) in streams {
          if delta > 0 {
            _ = s.outbound.grant(UInt32(delta))
          } else {
            _ = s.outbound.consume(Int(-delta))
          }
          streams[id] = s
        }
      }
      peerSettings = settings
      phase = .open
      return .helloReceived(settings)
    case .headers:
      guard streams[frame.streamID] != nil else { return .none }
      guard let h = try? Ordp_Rpc_V1_ResponseHeaders(buffer: frame.payload) else {
        return fail(.protocolError, "HEADERS payload is not a ResponseHeaders message")
      }
      return .responseHeaders(streamID: frame.streamID, metadata: Metadata(h.metadata))
    case .message:
      guard var stream = streams[frame.streamID] else { return .none }
      guard stream.inbound.consume(frame.payload.readableBytes) else {
        return fail(
          .flowControlError, "MESSAGE on stream \(frame.streamID) while its window was exhausted")
      }
      streams[frame.streamID] = stream
      return .responseMessage(streamID: frame.streamID, payload: frame.payload)
    case .trailers, .cancel:
      guard streams.removeValue(forKey: frame.streamID) != nil else { return .none }
      if frame.type == .trailers, frame.payload.readableBytes == 0 {
        return .callEnded(streamID: frame.streamID, status: .ok)
      }
      guard let wire = try? Ordp_Rpc_V1_Status(buffer: frame.payload) else {
        return .callEnded(
          streamID: frame.streamID,
          status: RPCStatus(code: .internal, message: "undecodable \(frame.type) status"))
      }
      var status = RPCStatus(wire)
      if frame.type == .cancel, status.code == .ok {
        status = RPCStatus(code: .cancelled, message: "cancelled by the server")
      }
      return .callEnded(streamID: frame.streamID, status: status)
    case .ping:
      guard frame.streamID == 0 else {
        return fail(.protocolError, "PING on stream \(frame.streamID)")
      }
      return frame.flags.contains(.ack) ? .pingAck(frame.payload) : .pong(frame.payload)
    case .goAway:
      let g = (try? Ordp_Rpc_V1_GoAway(buffer: frame.payload)) ?? Ordp_Rpc_V1_GoAway()
      let code = GoAwayCode(rawValue: g.code)
      let unprocessed = streams.keys.filter { $0 > g.lastStreamID }.sorted()
      for id in unprocessed { streams[id] = nil }
      let closeNow = code != .noError || streams.isEmpty
      phase = closeNow ? .closed : .goingAway(lastStreamID: g.lastStreamID)
      return .goAway(code: code, message: g.message, unprocessed: unprocessed, closeNow: closeNow)
    case .windowUpdate:
      guard frame.payload.readableBytes == 4,
        let inc = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self), inc > 0
      else { return fail(.protocolError, "malformed WINDOW_UPDATE") }
      guard var stream = streams[frame.streamID] else { return .none }
      let wasOpen = stream.outbound.isOpen
      guard stream.outbound.grant(inc) else {
        return fail(.flowControlError, "WINDOW_UPDATE overflows the window")
      }
      streams[frame.streamID] = stream
      return !wasOpen && stream.outbound.isOpen ? .windowOpened(streamID: frame.streamID) : .none
    default:
      return .none
    }
  }

  /// After a GOAWAY without close: whether the last call has ended and the connection can go.
  public mutating func callEndedShouldClose() -> Bool {
    if case .goingAway = phase, streams.isEmpty {
      phase = .closed
      return true
    }
    return false
  }

  private mutating func fail(_ code: GoAwayCode, _ message: String) -> FrameAction {
    phase = .closed
    streams.removeAll()
    return .connectionError(ConnectionError(code, message))
  }
}
