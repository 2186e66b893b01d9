import Logging
import NIOCore
import NIOSSL
import NIOTLS
import SwiftProtobuf

/// Carries out `ServerConnectionStateMachine`'s decisions on one connection: decodes frames,
/// dispatches calls to handlers (Swift tasks), writes their frames, runs the timers.
/// Everything here runs on the connection's event loop.
///
/// The state touched on every call is `@exclusivity(unchecked)`: it is only ever accessed on the
/// event loop and never by overlapping accesses, and the runtime's dynamic exclusivity checks
/// (a thread-local look-up each, dozens per call) were a measurable part of a call's cost.
final class ServerConnectionHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  let router: RPCRouter
  /// The route of the last call opened (clients mostly repeat a method).
  @exclusivity(unchecked) private var lastRoute: RPCRouter.Route?
  let interceptors: [any ServerInterceptor]
  let configuration: ServerConfiguration
  let logger: Logger
  let executor: EventLoopTaskExecutor?
  let tls: Bool

  @exclusivity(unchecked) var machine: ServerConnectionStateMachine
  @exclusivity(unchecked) private var reader: FrameReader
  @exclusivity(unchecked) private(set) var calls = StreamTable<ServerCall>()
  private(set) var context: ChannelHandlerContext?
  private let outbound: OutboundFrames
  /// The caller's address and certificate identity, shared by the contexts of its calls.
  private var peer = ServerContext.Peer(identity: nil, address: nil)
  private var handshakeTimer: Scheduled<Void>?
  private var idleTimer: Scheduled<Void>?
  @exclusivity(unchecked) private var idleSince: NIODeadline = .now()
  /// When the read being processed began, once something asked (calls ending inside the read
  /// then need no clock read of their own, and a read that needs no time reads no clock).
  @exclusivity(unchecked) private var readTime: NIODeadline?
  private var drainTimer: Scheduled<Void>?
  private var lingerTimer: Scheduled<Void>?
  @exclusivity(unchecked) private var closing = false
  /// Whether the channel takes more writes (its outbound buffer is below the high-water
  /// mark). While it does not, streaming responses wait and the socket is not read: a client
  /// that does not read its answers stalls its own calls instead of growing the server's memory.
  @exclusivity(unchecked) private(set) var isWritable = true
  /// A read the pipeline asked for while the channel was not writable or reading was paused.
  private var readHeld = false
  /// While set, the socket is not read (a client sent what its method does not take).
  private var readPause: Scheduled<Void>?

  init(
    router: RPCRouter, interceptors: [any ServerInterceptor], configuration: ServerConfiguration,
    eventLoop: any EventLoop, tls: Bool, budget: RequestMemoryBudget? = nil, logger: Logger
  ) {
    self.router = router
    self.interceptors = interceptors
    self.configuration = configuration
    self.machine = ServerConnectionStateMachine(
      configuration: configuration.connection, budget: budget)
    self.reader = FrameReader(maxFrameSize: configuration.connection.settings.maxFrameSize)
    self.logger = logger
    self.outbound = OutboundFrames(logger: logger)
    self.tls = tls
    self.executor =
      configuration.handlerExecution == .eventLoop
      ? EventLoopTaskExecutor(eventLoop: eventLoop) : nil
  }

  // MARK: - Channel events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    outbound.attach(context)
    if context.channel.isActive { start(context: context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    start(context: context)
    context.fireChannelActive()
  }

  private func start(context: ChannelHandlerContext) {
    guard handshakeTimer == nil else { return }
    peer = ServerContext.Peer(identity: peer.identity, address: context.channel.remoteAddress)
    handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(
      in: configuration.handshakeTimeout
    ) { [self] in
      guard !self.machine.helloReceived else { return }
      self.logger.debug(
        "handshake timeout", metadata: ["peer": "\(self.peer.address.map { "\($0)" } ?? "?")"])
      self.context?.close(promise: nil)
    }
    scheduleIdleCheck(after: configuration.idleTimeout)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
      if let cert = try? context.pipeline.syncOperations.nioSSL_peerCertificate() {
        peer = ServerContext.Peer(identity: cert.firstURISAN, address: peer.address)
      }
    }
    context.fireUserInboundEventTriggered(event)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    // A closed connection (GOAWAY sent, lingering until the client closes) reads only to
    // drain the socket: what arrives is dropped, never collected — else a client could keep
    // sending into a buffer nobody empties.
    guard !machine.isClosed else { return }
    let bytes = unwrapInboundIn(data)
    reader.append(bytes)
    outbound.inRead = true
    defer { outbound.inRead = false }
    readTime = nil
    while !machine.isClosed {
      let frame: Frame?
      do {
        frame = try reader.next()
      } catch {
        connectionError(error)
        return
      }
      guard let frame else {
        // Only the next frame's header is here: a request message no call will take is
        // skipped as it arrives, not collected.
        if let next = reader.pendingHeader, next.type == .message {
          let call = calls[next.streamID]
          switch machine.messageAnnounced(
            streamID: next.streamID, length: next.length,
            limit: call?.route.maximumRequestBytes)
          {
          case .read: break
          case .skip(let pause):
            reader.skipPendingFrame()
            if let pause { pauseReading(for: pause) }
          case .refuse(let limit, let pause):
            if let call { call.endEarly(call.tooLarge(next.length, limit: limit)) }
            reader.skipPendingFrame()
            pauseReading(for: pause)
          }
        }
        break
      }
      handle(machine.receive(frame, now: readClock()))
    }
    reader.compact()
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    flushNow()
    context.fireChannelReadComplete()
  }

  func channelInactive(context: ChannelHandlerContext) {
    handshakeTimer?.cancel()
    readPause?.cancel()
    idleTimer?.cancel()
    drainTimer?.cancel()
    lingerTimer?.cancel()
    _ = machine.transportClosed()
    let open = calls
    calls.removeAll()
    for (_, call) in open {
      call.abort(RPCError(.unavailable, "connection closed"), cancelTask: true)
    }
    context.fireChannelInactive()
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    isWritable = context.channel.isWritable
    if isWritable {
      if readHeld, readPause == nil {
        readHeld = false
        context.read()
      }
      for (_, call) in calls { call.windowOpened() }
    }
    context.fireChannelWritabilityChanged()
  }

  /// Reads only while the channel is writable (see `isWritable`) and reading is not paused.
  func read(context: ChannelHandlerContext) {
    if isWritable, readPause == nil {
      context.read()
    } else {
      readHeld = true
    }
  }

  /// Stops reading the socket for `duration` (the state machine's decision after a refused
  /// request message); a read asked for meanwhile goes out when it ends. Connections of peers
  /// with a mutual-TLS identity (the gateway, other services) are never paused: they carry
  /// many callers' calls, and the gateway applies the same limits before it forwards.
  private func pauseReading(for duration: TimeAmount) {
    guard let context, peer.identity == nil else { return }
    readPause?.cancel()
    readPause = context.eventLoop.assumeIsolated().scheduleTask(in: duration) { [self] in
      self.readPause = nil
      if self.readHeld, self.isWritable {
        self.readHeld = false
        self.context?.read()
      }
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    logger.debug("connection error", metadata: ["error": "\(error)"])
    context.close(promise: nil)
  }

  // MARK: - Frame actions

  private func handle(_ action: ServerConnectionStateMachine.FrameAction) {
    switch action {
    case .none:
      break
    case .sendHello(let hello):
      handshakeTimer?.cancel()
      writeFrame(.hello, streamID: 0, message: hello)
    case .openCall(let id, let headers, let endStream):
      openCall(id, headers: headers, endStream: endStream)
    case .refuseCall(let id, let reason):
      var status = RPCStatus(code: .unavailable, message: reason)
      status.metadata.add("ordp-refused", "1")
      writeFrame(.cancel, streamID: id, message: status.wire)
    case .endOfRequests(let id):
      calls[id]?.endOfRequests()
    case .requestMessage(let id, let payload, let endStream):
      calls[id]?.receive(payload, endStream: endStream)
    case .callCancelled(let id, let status):
      calls.removeValue(forKey: id)?.abort(RPCError(status: status), cancelTask: true)
      callRemoved()
    case .failCall(let id, let status):
      writeFrame(.cancel, streamID: id, message: status.wire)
      calls.removeValue(forKey: id)?.abort(RPCError(status: status), cancelTask: true)
      callRemoved()
    case .windowOpened(let id):
      calls[id]?.windowOpened()
    case .pong(let payload):
      outbound.write(.ping, flags: .ack, streamID: 0, payload: payload)
    case .peerGoingAway(let closeNow):
      if closeNow { closeConnection() }
    case .connectionError(let error, _):
      connectionError(error)
    }
  }

  private func openCall(_ id: UInt32, headers: Ordp_Rpc_V1_RequestHeaders, endStream: Bool) {
    let route: RPCRouter.Route?
    if let last = lastRoute, last.descriptor.path == headers.method {
      route = last  // a repeated call: no lookup (the path is often the very same string)
    } else {
      route = router.route(for: headers.method)
      lastRoute = route
    }
    guard let route else {
      let status = RPCStatus(code: .unimplemented, message: "unknown method \(headers.method)")
      finishImmediately(id, status)
      observeRefused(
        headers.method, known: false, status, Metadata(headers.metadata), caller: nil)
      return
    }
    let deadline: NIODeadline? =
      headers.timeoutMicros == 0
      ? nil
      : .now()
        + .microseconds(Int64(clamping: min(headers.timeoutMicros, UInt64(Int64.max / 1000))))
    var context = ServerContext(
      method: route.descriptor, requestMetadata: Metadata(headers.metadata), deadline: deadline,
      peer: peer)
    // What the HEADERS decide (a missing or already refused token) ends the call here, before
    // its request message is received and a handler started.
    for interceptor in interceptors {
      do {
        try interceptor.admit(&context)
      } catch {
        finishImmediately(id, error.status)
        observeRefused(
          headers.method, known: true, error.status, context.requestMetadata,
          caller: context.response.caller)
        return
      }
    }
    let call = ServerCall(streamID: id, route: route, context: context, connection: self)
    calls[id] = call
    if let deadline, let loop = self.context?.eventLoop {
      call.deadlineTimer = loop.assumeIsolated().scheduleTask(deadline: deadline) { [weak call] in
        call?.deadlineExceeded()
      }
    }
    call.opened(endStream: endStream)
  }

  /// Tells the observer, if any, of a call refused at its HEADERS.
  private func observeRefused(
    _ path: String, known: Bool, _ status: RPCStatus, _ metadata: Metadata, caller: String?
  ) {
    guard let observer = configuration.observer else { return }
    observer.callEnded(
      EndedCall(
        path: path, methodKnown: known, code: status.code, duration: .zero,
        requestMetadata: metadata,
        caller: caller, remoteAddress: peer.address, peerIdentity: peer.identity))
  }

  /// Ends a call before any handler ran (unknown method, wrong message count).
  func finishImmediately(_ id: UInt32, _ status: RPCStatus) {
    writeFrame(.trailers, streamID: id, message: status.wire)
    calls.removeValue(forKey: id)?.deadlineTimer?.cancel()
    if machine.callEnded(streamID: id) == .close { closeConnection() }
    callRemoved()
  }

  // MARK: - Used by calls

  var eventLoop: any EventLoop { context!.eventLoop }
  /// Bytes read and not yet decoded into frames (for tests).
  var bufferedInboundBytes: Int { reader.bufferedBytes }
  var maxOutboundFrameSize: Int { Int(machine.peerSettings.maxFrameSize) }

  /// A call ended on the wire (TRAILERS or CANCEL written): forget it.
  func callFinished(_ id: UInt32) {
    calls[id] = nil
    if machine.callEnded(streamID: id) == .close {
      closeConnection()
    }
    callRemoved()
  }

  /// The idle timer stays scheduled; it checks when it fires (no timer churn per call).
  private func callRemoved() {
    if calls.isEmpty { idleSince = outbound.inRead ? readClock() : .now() }
  }

  /// The time of the read being processed (read from the clock once per read, when needed).
  private func readClock() -> NIODeadline {
    if let readTime { return readTime }
    let now = NIODeadline.now()
    readTime = now
    return now
  }

  func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, message: some SwiftProtobuf.Message
  ) {
    outbound.write(type, flags: flags, streamID: streamID, message: message)
  }

  func writeFrame(_ type: FrameType, flags: FrameFlags = [], streamID: UInt32, bytes: [UInt8]) {
    outbound.write(type, flags: flags, streamID: streamID, bytes: bytes)
  }

  func writeWindowUpdate(streamID: UInt32, increment: UInt32) {
    outbound.writeWindowUpdate(streamID: streamID, increment: increment)
  }

  /// See `OutboundFrames.writeTogether`.
  func writeTogether(_ body: () -> Void) { outbound.writeTogether(body) }

  /// See `OutboundFrames.flushIfAlone`. Inside a read, the lone call's answer leaves at once
  /// when no further frame of that read waits: the client gets it while this side still
  /// tidies up (ends the handler task, forgets the stream), instead of after.
  func flushIfAlone() {
    if outbound.inRead {
      if calls.count <= 1, !reader.hasBufferedBytes { outbound.flushNow() }
    } else {
      outbound.flushIfAlone(openCalls: calls.count)
    }
  }

  func flushNow() { outbound.flushNow() }

  // MARK: - Connection management

  /// Begins a graceful drain (SIGTERM): GOAWAY, finish open calls, close.
  func drain() {
    switch machine.beginDrain() {
    case .none:
      return
    case .sendGoAway(let goAway, let closeNow):
      writeFrame(.goAway, streamID: 0, message: goAway)
      flushNow()
      if closeNow {
        closeConnection()
      } else if let loop = context?.eventLoop {
        drainTimer = loop.assumeIsolated().scheduleTask(in: configuration.drainTimeout) {
          [self] in
          for (_, call) in self.calls {
            call.abort(
              RPCError(.unavailable, "server shut down before the call finished"), cancelTask: true)
          }
          self.closeConnection()
        }
      }
    }
  }

  private func connectionError(_ error: ConnectionError) {
    logger.debug("connection error \(error.code): \(error.message)")
    var goAway = Ordp_Rpc_V1_GoAway()
    goAway.lastStreamID = machine.highestStreamID
    goAway.code = error.code.rawValue
    goAway.message = error.message
    _ = machine.transportClosed()
    writeFrame(.goAway, streamID: 0, message: goAway)
    let open = calls
    calls.removeAll()
    for (_, call) in open { call.abort(RPCError(.unavailable, error.message), cancelTask: true) }
    closeConnection()
  }

  /// Sends what is pending (GOAWAY, last responses), then lets the client close first: a
  /// socket closed with unread bytes in it (calls the client sent before it saw GOAWAY) is
  /// reset by the kernel, and a reset can destroy the GOAWAY and responses still unread on
  /// the client. The server keeps reading (and ignoring) until the client closes, at most
  /// `closeLinger`.
  private func closeConnection() {
    guard !closing, let context else { return }
    closing = true
    outbound.flushNow()
    lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeLinger) {
      context.close(promise: nil)
    }
  }

  /// How long a closing connection waits for the client to close its side.
  static let closeLinger: TimeAmount = .seconds(1)

  private func scheduleIdleCheck(after delay: TimeAmount) {
    guard let loop = context?.eventLoop else { return }
    idleTimer = loop.assumeIsolated().scheduleTask(in: delay) { [self] in
      self.idleTimer = nil
      guard !self.machine.isClosed else { return }
      guard self.calls.isEmpty else {
        return self.scheduleIdleCheck(after: self.configuration.idleTimeout)
      }
      let idleFor = NIODeadline.now() - self.idleSince
      if idleFor >= self.configuration.idleTimeout, let goAway = self.machine.idleTimeoutFired() {
        self.writeFrame(.goAway, streamID: 0, message: goAway)
        self.closeConnection()
      } else {
        self.scheduleIdleCheck(after: self.configuration.idleTimeout - idleFor)
      }
    }
  }
}
