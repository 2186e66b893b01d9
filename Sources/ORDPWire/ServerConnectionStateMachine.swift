public import NIOCore
import Synchronization

/// The server side of one ORDP/1 connection, without I/O.
///
/// The connection handler feeds it every received frame and every local event (a handler
/// wants to send, a call finished, drain, timers); each method returns what to do. It enforces
/// the HELLO handshake, stream-id ordering, `max_concurrent_streams`, flow control, ping abuse
/// and graceful drain as WIRE.md describes.
public struct ServerConnectionStateMachine: Sendable {
  /// Limits and policies of the server side.
  public struct Configuration: Sendable, Hashable {
    /// What the server announces in its HELLO.
    public var settings: ConnectionSettings = .defaults
    /// Pings closer together than this, while no call is open, count as a strike.
    public var minPingInterval: TimeAmount = .seconds(5)
    /// Strikes beyond this end the connection with ENHANCE_YOUR_CALM.
    public var maxPingStrikes: Int = 2
    /// The most credit per stream the server uses, whatever window the client grants (in its
    /// HELLO or by WINDOW_UPDATE): a client that grants gigabytes and never reads cannot make
    /// the server queue gigabytes for it.
    public var maximumSendWindow: UInt32 = 4_194_304
    /// Request bytes the connection may hold that handlers have not consumed yet (a unary
    /// request waiting for its END_STREAM, streaming requests not read yet). A MESSAGE beyond
    /// it ends its call with RESOURCE_EXHAUSTED; the connection goes on.
    public var maxBufferedRequestBytes: Int = 32 << 20
    /// How long the connection is not read after a request message no call takes (larger than
    /// its method takes, or large and for a call that is over), decided from its frame header;
    /// doubled with every further one, up to the maximum.
    public var oversizedMessagePause: TimeAmount = .milliseconds(50)
    public var maximumOversizedMessagePause: TimeAmount = .seconds(2)

    public static var defaults: Configuration { Configuration() }
    public init() {}
  }

  /// Per-stream state on the server.
  struct Stream: Sendable {
    var requestClosed: Bool
    var inbound: FlowWindow
    var replenisher: WindowReplenisher
    var outbound: FlowWindow
    /// Request bytes received and not yet consumed by the handler.
    var held = 0
  }

  enum Phase: Sendable, Hashable {
    case awaitingHello
    case open
    case draining(lastStreamID: UInt32)
    case closed
  }

  /// What to do about one received frame.
  public enum FrameAction: Sendable {
    /// Nothing (ignored or bookkeeping only).
    case none
    /// The client's HELLO arrived: answer with this HELLO.
    case sendHello(Ordp_Rpc_V1_Hello)
    /// A new call: dispatch it. `endStream` means no request message follows.
    case openCall(streamID: UInt32, headers: Ordp_Rpc_V1_RequestHeaders, endStream: Bool)
    /// Refuse the call without processing it (CANCEL UNAVAILABLE, `ordp-refused: 1`).
    case refuseCall(streamID: UInt32, reason: String)
    /// The client ended its requests with a HEADERS frame carrying END_STREAM on the open
    /// stream (half-close after its last MESSAGE; see docs/WIRE.md, section 4).
    case endOfRequests(streamID: UInt32)
    /// A request message for an open call.
    case requestMessage(streamID: UInt32, payload: ByteBuffer, endStream: Bool)
    /// The client cancelled the call: cancel its handler; the stream is already forgotten.
    case callCancelled(streamID: UInt32, status: RPCStatus)
    /// The client broke the call's rules: send CANCEL with this status, cancel the handler.
    case failCall(streamID: UInt32, status: RPCStatus)
    /// The client granted credit on a stream whose sender may be waiting.
    case windowOpened(streamID: UInt32)
    /// Answer a PING with an ACK carrying the same bytes.
    case pong(ByteBuffer)
    /// The client is going away: close once the open calls are done (or now if none).
    case peerGoingAway(closeNow: Bool)
    /// Connection error: send GOAWAY and close; cancel every open call.
    case connectionError(ConnectionError, lastStreamID: UInt32)
  }

  /// What to do when a call's sender wants to send a message.
  public enum SendDecision: Sendable, Hashable {
    /// Send it.
    case send
    /// The peer's window is exhausted: wait for `windowOpened`.
    case wait
    /// The stream no longer exists (cancelled or finished).
    case streamClosed
  }

  public let configuration: Configuration
  /// What all connections of a server may hold in request bytes together (nil: no shared
  /// limit); shared by the connections, so the one mutable thing here that is not this
  /// connection's own.
  let budget: RequestMemoryBudget?
  /// Request bytes this connection holds (the sum of its streams' `held`).
  public private(set) var bufferedRequestBytes = 0
  public private(set) var peerSettings: ConnectionSettings = .defaults
  var phase: Phase = .awaitingHello
  var streams = StreamTable<Stream>()
  /// The highest stream id a HEADERS frame has opened (or tried to).
  public private(set) var highestStreamID: UInt32 = 0
  var pingStrikes = 0
  var lastPingTime: NIODeadline?
  /// Request messages refused from their header (larger than their method takes, or large
  /// and for a call that is over).
  var unwantedMessages = 0
  /// The last HEADERS payload without a deadline and what it decoded to: a client repeating
  /// a call (same method and metadata) sends the same bytes, which then need no decoding.
  var lastHeaders: (payload: [UInt8], headers: Ordp_Rpc_V1_RequestHeaders)?
  /// Payloads up to this size are remembered in `lastHeaders`.
  static let rememberedHeadersSize = 512

  public init(configuration: Configuration = .defaults, budget: RequestMemoryBudget? = nil) {
    self.configuration = configuration
    self.budget = budget
  }

  /// The number of open calls.
  public var openStreamCount: Int { streams.count }
  /// Whether GOAWAY was sent for a drain.
  public var isDraining: Bool { if case .draining = phase { return true } else { return false } }
  /// Whether the connection is finished.
  public var isClosed: Bool { phase == .closed }
  /// Whether the client's HELLO has arrived.
  public var helloReceived: Bool { phase != .awaitingHello }

  // MARK: - Received frames

  /// Processes one frame received from the client. `now` feeds the ping-abuse policy (read
  /// only for PING frames).
  public mutating func receive(_ frame: Frame, now: @autoclosure () -> NIODeadline) -> FrameAction {
    switch phase {
    case .closed:
      return .none
    case .awaitingHello:
      guard frame.type == .hello else {
        return fail(.protocolError, "the first frame must be HELLO, got \(frame.type)")
      }
      return receiveHello(frame)
    case .open, .draining:
      break
    }

    switch frame.type {
    case .hello: return fail(.protocolError, "HELLO sent twice")
    case .headers: return receiveHeaders(frame)
    case .message: return receiveMessage(frame)
    case .trailers: return fail(.protocolError, "TRAILERS may only be sent by the server")
    case .cancel: return receiveCancel(frame)
    case .ping: return receivePing(frame, now: now())
    case .goAway:
      let closeNow = streams.isEmpty
      phase = .draining(lastStreamID: highestStreamID)
      if closeNow { phase = .closed }
      return .peerGoingAway(closeNow: closeNow)
    case .windowUpdate: return receiveWindowUpdate(frame)
    default: return .none  // unknown frame types are ignored
    }
  }

  private mutating func receiveHello(_ frame: Frame) -> FrameAction {
    guard frame.streamID == 0 else {
      return fail(.protocolError, "HELLO on stream \(frame.streamID)")
    }
    guard let hello = try? Ordp_Rpc_V1_Hello(buffer: frame.payload) else {
      return fail(.protocolError, "HELLO payload is not a Hello message")
    }
    guard hello.version == 0 || hello.version == ConnectionSettings.protocolVersion else {
      return fail(
        .unsupportedVersion,
        "protocol version \(hello.version) is not supported; this server speaks 1")
    }
    peerSettings = ConnectionSettings(hello: hello)
    phase = .open
    return .sendHello(configuration.settings.hello)
  }

  private mutating func receiveHeaders(_ frame: Frame) -> FrameAction {
    let id = frame.streamID
    guard id != 0 else { return fail(.protocolError, "HEADERS on stream 0") }
    if var stream = streams[id] {
      guard frame.flags.contains(.endStream), !stream.requestClosed else {
        return fail(.protocolError, "HEADERS reuses open stream id \(id)")
      }
      stream.requestClosed = true
      streams[id] = stream
      return .endOfRequests(streamID: id)
    }
    guard id > highestStreamID else {
      // A client's half-close that crossed the server's TRAILERS or CANCEL: the call is over
      // and the frame arrives late, like any frame for a forgotten stream (WIRE.md §4).
      if frame.flags.contains(.endStream), frame.payload.readableBytes == 0 { return .none }
      return fail(
        .protocolError, "HEADERS reuses stream id \(id) (highest so far \(highestStreamID))")
    }
    guard let headers = decodeHeaders(frame.payload) else {
      return fail(.protocolError, "HEADERS payload on stream \(id) is not a RequestHeaders message")
    }
    highestStreamID = id
    pingStrikes = 0
    if case .draining(let last) = phase, id > last {
      return .refuseCall(streamID: id, reason: "server is shutting down")
    }
    if streams.count >= Int(configuration.settings.maxConcurrentStreams) {
      return .refuseCall(
        streamID: id,
        reason:
          "too many concurrent calls (max_concurrent_streams \(configuration.settings.maxConcurrentStreams))"
      )
    }
    let endStream = frame.flags.contains(.endStream)
    let window = configuration.settings.initialWindowSize
    streams[id] = Stream(
      requestClosed: endStream, inbound: FlowWindow(initial: window),
      replenisher: WindowReplenisher(initialWindow: window),
      outbound: FlowWindow(
        initial: min(peerSettings.initialWindowSize, configuration.maximumSendWindow)))
    return .openCall(streamID: id, headers: headers, endStream: endStream)
  }

  /// Decodes a HEADERS payload, or repeats the last decoding when the bytes are the same.
  private mutating func decodeHeaders(_ payload: ByteBuffer) -> Ordp_Rpc_V1_RequestHeaders? {
    // Compared in place: binding `lastHeaders` to a constant would copy (retain) its parts.
    if lastHeaders?.payload.count == payload.readableBytes,
      payload.withUnsafeReadableBytes({ bytes in
        lastHeaders!.payload.withUnsafeBytes { $0.elementsEqual(bytes) }
      })
    {
      return lastHeaders!.headers
    }
    guard let headers = try? Ordp_Rpc_V1_RequestHeaders(buffer: payload) else { return nil }
    if headers.timeoutMicros == 0, payload.readableBytes <= Self.rememberedHeadersSize {
      lastHeaders = (Array(payload.readableBytesView), headers)
    }
    return headers
  }

  private mutating func receiveMessage(_ frame: Frame) -> FrameAction {
    let id = frame.streamID
    guard var stream = streams[id] else { return .none }
    pingStrikes = 0
    if stream.requestClosed {
      removeStream(id)
      return .failCall(
        streamID: id, status: RPCStatus(code: .internal, message: "MESSAGE after END_STREAM"))
    }
    let bytes = frame.payload.readableBytes
    guard stream.inbound.consume(bytes) else {
      return fail(.flowControlError, "MESSAGE on stream \(id) while its window was exhausted")
    }
    guard bufferedRequestBytes + bytes <= configuration.maxBufferedRequestBytes,
      budget?.reserve(bytes) ?? true
    else {
      removeStream(id)
      return .failCall(
        streamID: id,
        status: RPCStatus(
          code: .resourceExhausted,
          message:
            "server holds too many request bytes not yet processed; send fewer or smaller messages at once"
        ))
    }
    stream.held += bytes
    bufferedRequestBytes += bytes
    let end = frame.flags.contains(.endStream)
    stream.requestClosed = end
    streams[id] = stream
    return .requestMessage(streamID: id, payload: frame.payload, endStream: end)
  }

  private mutating func receiveCancel(_ frame: Frame) -> FrameAction {
    guard removeStream(frame.streamID) else { return .none }
    let wire = (try? Ordp_Rpc_V1_Status(buffer: frame.payload)) ?? Ordp_Rpc_V1_Status()
    var status = RPCStatus(wire)
    if status.code == .ok {
      status = RPCStatus(code: .cancelled, message: "cancelled by the client")
    }
    return .callCancelled(streamID: frame.streamID, status: status)
  }

  private mutating func receivePing(_ frame: Frame, now: NIODeadline) -> FrameAction {
    guard frame.streamID == 0 else {
      return fail(.protocolError, "PING on stream \(frame.streamID)")
    }
    if frame.flags.contains(.ack) { return .none }
    if streams.isEmpty, let last = lastPingTime, now - last < configuration.minPingInterval {
      pingStrikes += 1
      if pingStrikes > configuration.maxPingStrikes {
        return fail(.enhanceYourCalm, "too many pings")
      }
    }
    lastPingTime = now
    return .pong(frame.payload)
  }

  private mutating func receiveWindowUpdate(_ frame: Frame) -> FrameAction {
    guard frame.streamID != 0 else { return fail(.protocolError, "WINDOW_UPDATE on stream 0") }
    guard frame.payload.readableBytes == 4,
      let increment = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self)
    else { return fail(.protocolError, "WINDOW_UPDATE payload must be 4 bytes") }
    guard increment > 0 else { return fail(.protocolError, "WINDOW_UPDATE with increment 0") }
    guard var stream = streams[frame.streamID] else { return .none }
    let wasOpen = stream.outbound.isOpen
    guard stream.outbound.grant(increment, cap: configuration.maximumSendWindow) else {
      return fail(
        .flowControlError, "WINDOW_UPDATE overflows the window of stream \(frame.streamID)")
    }
    streams[frame.streamID] = stream
    return !wasOpen && stream.outbound.isOpen ? .windowOpened(streamID: frame.streamID) : .none
  }

  private mutating func fail(_ code: GoAwayCode, _ message: String) -> FrameAction {
    phase = .closed
    removeAllStreams()
    return .connectionError(ConnectionError(code, message), lastStreamID: highestStreamID)
  }

  // MARK: - Local events

  /// What to do with a MESSAGE frame whose header has arrived and whose payload has not.
  public enum AnnouncedMessage: Sendable, Hashable {
    /// Read it as usual.
    case read
    /// Skip its payload as it arrives, unread and uncollected: no call takes it. A large one
    /// (for a call refused at its HEADERS, say) also pauses reading, as `refuse` does.
    case skip(pause: TimeAmount?)
    /// Its call's method takes at most `limit` bytes: the call ends with RESOURCE_EXHAUSTED
    /// (the handler ends it; the stream is forgotten here), the payload is skipped, and the
    /// connection is not read for `pause` — its payload still has to be read to be skipped,
    /// so a client that keeps sending what no method takes is slowed down, doubling with every
    /// further refusal: a flood of 4 MiB requests makes the server decrypt a few MB a second
    /// per connection, not a gigabyte. Only this connection waits.
    case refuse(limit: Int, pause: TimeAmount)
  }

  /// The header of a MESSAGE frame of `length` bytes arrived on `streamID`, its payload not
  /// yet, and the call's method takes at most `limit` bytes (nil: any). A message no call
  /// will take — beyond its method's limit, or for a call that is over (refused at its
  /// HEADERS, say) — is skipped as it arrives instead of being collected: a client flooding
  /// a login with 4 MiB passwords costs the server the bytes' decryption, not their copies
  /// and buffers. Only that call is affected; the connection and its other calls go on.
  public mutating func messageAnnounced(
    streamID: UInt32, length: Int, limit: Int?
  ) -> AnnouncedMessage {
    guard streams[streamID] != nil else {
      return .skip(pause: length > Self.largeMessage ? strike() : nil)
    }
    guard let limit, length > limit else { return .read }
    removeStream(streamID)
    return .refuse(limit: limit, pause: strike())
  }

  /// A message for a call that is over counts against the connection above this size (a
  /// small one crossing the server's end of a call is normal).
  public static let largeMessage = 64 << 10

  /// One more message no call takes: how long not to read the connection now.
  private mutating func strike() -> TimeAmount {
    unwantedMessages += 1
    let doublings = Int64(min(unwantedMessages - 1, 10))
    return .nanoseconds(
      min(
        configuration.oversizedMessagePause.nanoseconds << doublings,
        configuration.maximumOversizedMessagePause.nanoseconds))
  }

  /// A call's handler wants to send a message of `bytes` payload bytes.
  public mutating func sendMessage(streamID: UInt32, bytes: Int) -> SendDecision {
    guard var stream = streams[streamID] else { return .streamClosed }
    guard stream.outbound.consume(bytes) else { return .wait }
    streams[streamID] = stream
    return .send
  }

  /// The application consumed `bytes` of request payload: the WINDOW_UPDATE increment to send,
  /// if one is due.
  public mutating func consumed(streamID: UInt32, bytes: Int) -> UInt32? {
    guard var stream = streams[streamID] else { return nil }
    let released = min(bytes, stream.held)
    stream.held -= released
    release(released)
    guard !stream.requestClosed else {
      streams[streamID] = stream
      return nil
    }
    let increment = stream.replenisher.consumed(bytes)
    if let increment { _ = stream.inbound.grant(increment) }
    streams[streamID] = stream
    return increment
  }

  /// What happens to the connection after a call ended.
  public enum CallEndAction: Sendable, Hashable {
    case none
    /// Draining and this was the last call: close the connection.
    case close
  }

  /// The server sent TRAILERS or CANCEL on `streamID`: forget it.
  public mutating func callEnded(streamID: UInt32) -> CallEndAction {
    removeStream(streamID)
    if case .draining = phase, streams.isEmpty {
      phase = .closed
      return .close
    }
    return .none
  }

  /// Whether the call on `streamID` is still open.
  public func isOpen(streamID: UInt32) -> Bool { streams[streamID] != nil }

  /// What to do to begin a graceful drain.
  public enum DrainAction: Sendable, Hashable {
    /// Already draining or closed.
    case none
    /// Send this GOAWAY; close at once when `closeNow`, else after the open calls end.
    case sendGoAway(Ordp_Rpc_V1_GoAway, closeNow: Bool)
  }

  /// Begins a graceful shutdown: GOAWAY NO_ERROR with the highest id opened so far.
  public mutating func beginDrain(message: String = "server is shutting down") -> DrainAction {
    switch phase {
    case .draining, .closed: return .none
    case .awaitingHello, .open:
      var goAway = Ordp_Rpc_V1_GoAway()
      goAway.lastStreamID = highestStreamID
      goAway.code = GoAwayCode.noError.rawValue
      goAway.message = message
      let closeNow = streams.isEmpty
      phase = closeNow ? .closed : .draining(lastStreamID: highestStreamID)
      return .sendGoAway(goAway, closeNow: closeNow)
    }
  }

  /// The idle timer fired: the GOAWAY IDLE_TIMEOUT to send and close, unless calls are open.
  public mutating func idleTimeoutFired() -> Ordp_Rpc_V1_GoAway? {
    guard streams.isEmpty, phase != .closed else { return nil }
    phase = .closed
    var goAway = Ordp_Rpc_V1_GoAway()
    goAway.lastStreamID = highestStreamID
    goAway.code = GoAwayCode.idleTimeout.rawValue
    goAway.message = "idle timeout"
    return goAway
  }

  /// The transport closed: every open call is gone.
  public mutating func transportClosed() -> [UInt32] {
    phase = .closed
    let ids = Array(streams.keys)
    removeAllStreams()
    return ids
  }

  // MARK: - Held request bytes

  /// Forgets a stream and the request bytes it held; false when it was not open.
  @discardableResult
  private mutating func removeStream(_ id: UInt32) -> Bool {
    guard let stream = streams.removeValue(forKey: id) else { return false }
    release(stream.held)
    return true
  }

  private mutating func removeAllStreams() {
    streams.removeAll()
    release(bufferedRequestBytes)
  }

  private mutating func release(_ bytes: Int) {
    guard bytes > 0 else { return }
    bufferedRequestBytes -= bytes
    budget?.release(bytes)
  }
}

/// Request bytes all connections of one server may hold together before handlers consume
/// them; connections reserve from it as MESSAGE frames arrive and release as their calls
/// consume them or end. Bounds a server's memory against many connections each holding
/// requests back (a unary request that never gets its END_STREAM, say).
public final class RequestMemoryBudget: Sendable {
  public let limit: Int
  private let used = Atomic<Int>(0)

  public init(limit: Int) { self.limit = limit }

  /// Bytes held now.
  public var held: Int { used.load(ordering: .relaxed) }

  /// Takes `bytes` when they fit.
  public func reserve(_ bytes: Int) -> Bool {
    var current = used.load(ordering: .relaxed)
    while true {
      guard current + bytes <= limit else { return false }
      let (exchanged, original) = used.compareExchange(
        expected: current, desired: current + bytes, ordering: .relaxed)
      if exchanged { return true }
      current = original
    }
  }

  public func release(_ bytes: Int) {
    used.subtract(bytes, ordering: .relaxed)
  }
}
