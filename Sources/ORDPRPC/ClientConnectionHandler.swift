import Logging
import NIOCore
import SwiftProtobuf

/// Carries out `ClientConnectionStateMachine`'s decisions on one client connection: sends
/// HELLO, opens streams for calls, routes response frames to them, pings idle connections.
/// Everything here runs on the connection's event loop.
///
/// The state touched on every call is `@exclusivity(unchecked)`: it is only ever accessed on the
/// event loop and never by overlapping accesses, and the runtime's dynamic exclusivity checks
/// (a thread-local look-up each, dozens per call) were a measurable part of a call's cost.
final class ClientConnectionHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  /// Keepalive settings.
  struct Keepalive {
    var interval: TimeAmount?
    var timeout: TimeAmount
  }

  @exclusivity(unchecked) var machine: ClientConnectionStateMachine
  @exclusivity(unchecked) private var reader: FrameReader
  private let keepalive: Keepalive
  private let logger: Logger
  @exclusivity(unchecked) private var calls = StreamTable<ClientCall>()
  private var waitingForStream: [ClientCall] = []
  private(set) var context: ChannelHandlerContext?
  private let outbound: OutboundFrames
  @exclusivity(unchecked) private var lastRead: NIODeadline = .now()
  private var keepaliveTimer: Scheduled<Void>?
  @exclusivity(unchecked) private var pingOutstanding = false
  private var pingSentAt: NIODeadline = .now()
  /// Succeeds when the server's HELLO arrived: only then does the connection take calls (as a
  /// gRPC transport is ready only after the server's SETTINGS). A call written before it could
  /// be lost unprocessed by a server that never accepted the connection (a listener closing
  /// with the connection still in its backlog resets it).
  let readyPromise: EventLoopPromise<Void>
  private let helloTimeout: TimeAmount
  private var helloTimer: Scheduled<Void>?
  /// Called once when the connection stops taking new calls (GOAWAY or closed).
  var onUnavailable: (() -> Void)?

  init(
    settings: ConnectionSettings, keepalive: Keepalive, helloTimeout: TimeAmount,
    eventLoop: any EventLoop, logger: Logger
  ) {
    self.helloTimeout = helloTimeout
    self.machine = ClientConnectionStateMachine(localSettings: settings)
    self.reader = FrameReader(maxFrameSize: settings.maxFrameSize)
    self.keepalive = keepalive
    self.logger = logger
    self.outbound = OutboundFrames(logger: logger)
    self.readyPromise = eventLoop.makePromise()
  }

  var eventLoop: any EventLoop { context!.eventLoop }
  var maxOutboundFrameSize: Int { Int(machine.peerSettings.maxFrameSize) }
  var isAcceptingCalls: Bool { machine.isAcceptingCalls && context != nil }

  // MARK: - Channel events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    outbound.attach(context)
    if context.channel.isActive { sendHello() }
  }

  func channelActive(context: ChannelHandlerContext) {
    sendHello()
    context.fireChannelActive()
  }

  private var helloSent = false

  private func sendHello() {
    guard !helloSent, let context else { return }
    helloSent = true
    writeFrame(.hello, streamID: 0, message: machine.hello)
    flushNow()
    let timeout = helloTimeout
    helloTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
      self.readyPromise.fail(
        RPCError(
          .unavailable, "no HELLO from the server within \(timeout.nanoseconds / 1_000_000) ms"))
      self.context?.close(promise: nil)
    }
    scheduleKeepalive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    logger.debug("client connection error", metadata: ["error": "\(error)"])
    readyPromise.fail(error)
    context.close(promise: nil)
  }

  func channelInactive(context: ChannelHandlerContext) {
    keepaliveTimer?.cancel()
    helloTimer?.cancel()
    readyPromise.fail(RPCError(.unavailable, "connection closed"))
    _ = machine.transportClosed()
    let open = calls
    calls.removeAll()
    let waiting = waitingForStream
    waitingForStream.removeAll()
    for (_, call) in open { call.fail(RPCError(.unavailable, "connection closed")) }
    for call in waiting { call.fail(Self.unprocessed("connection closed")) }
    notifyUnavailable()
    self.context = nil
    outbound.detach()
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let bytes = unwrapInboundIn(data)
    lastRead = .now()
    pingOutstanding = false
    reader.append(bytes)
    outbound.inRead = true
    defer { outbound.inRead = false }
    while !machine.isClosed {
      let frame: Frame?
      do {
        frame = try reader.next()
      } catch {
        connectionError(error)
        return
      }
      guard let frame else { break }
      handle(machine.receive(frame))
    }
    reader.compact()
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    flushNow()
    context.fireChannelReadComplete()
  }

  // MARK: - Frame actions

  private func handle(_ action: ClientConnectionStateMachine.FrameAction) {
    switch action {
    case .none, .pingAck:
      break
    case .helloReceived:
      helloTimer?.cancel()
      helloTimer = nil
      readyPromise.succeed()
      openWaitingStreams()
    case .responseHeaders(let id, let metadata):
      calls[id]?.receiveHeaders(metadata)
    case .responseMessage(let id, let payload):
      calls[id]?.receiveMessage(payload)
    case .callEnded(let id, let status):
      if let call = calls.removeValue(forKey: id) {
        call.receiveStatus(status)
        callRemoved()
      }
    case .windowOpened(let id):
      calls[id]?.windowOpened()
    case .pong(let payload):
      outbound.write(.ping, flags: .ack, streamID: 0, payload: payload)
    case .goAway(let code, let message, let unprocessed, let closeNow):
      logger.debug("GOAWAY \(code): \(message)")
      for id in unprocessed {
        calls.removeValue(forKey: id)?.fail(Self.unprocessed("server is going away (\(message))"))
      }
      let waiting = waitingForStream
      waitingForStream.removeAll()
      for call in waiting { call.fail(Self.unprocessed("server is going away")) }
      notifyUnavailable()
      if closeNow {
        if code != .noError {
          let open = calls
          calls.removeAll()
          for (_, call) in open {
            call.fail(RPCError(.unavailable, "connection error \(code): \(message)"))
          }
        }
        if calls.isEmpty { context?.close(promise: nil) }
      }
    case .connectionError(let error):
      connectionError(error)
    }
  }

  /// An error for calls the server never processed: safe to retry on another connection.
  static func unprocessed(_ message: String) -> RPCError {
    var metadata = Metadata()
    metadata.add("ordp-refused", "1")
    return RPCError(.unavailable, "call not processed: \(message)", metadata: metadata)
  }

  private func connectionError(_ error: ConnectionError) {
    var goAway = Ordp_Rpc_V1_GoAway()
    goAway.code = error.code.rawValue
    goAway.message = error.message
    writeFrame(.goAway, streamID: 0, message: goAway)
    flushNow()
    let open = calls
    calls.removeAll()
    for (_, call) in open {
      call.fail(RPCError(.internal, "protocol error from server: \(error.message)"))
    }
    notifyUnavailable()
    context?.close(promise: nil)
  }

  private func notifyUnavailable() {
    if let f = onUnavailable {
      onUnavailable = nil
      f()
    }
  }

  // MARK: - Calls

  /// Starts `call`: opens its stream (or queues it at the server's concurrency limit).
  func start(_ call: ClientCall) {
    guard context != nil else {
      return call.fail(Self.unprocessed("connection closed"))
    }
    switch machine.openStream() {
    case .open(let id):
      calls[id] = call
      call.opened(streamID: id, connection: self)
    case .atLimit:
      waitingForStream.append(call)
    case .unavailable:
      call.fail(Self.unprocessed("connection is going away"))
    }
  }

  private func openWaitingStreams() {
    while let call = waitingForStream.first {
      if call.isDone {
        waitingForStream.removeFirst()
        continue
      }
      guard case .open(let id) = machine.openStream() else { return }
      waitingForStream.removeFirst()
      calls[id] = call
      call.opened(streamID: id, connection: self)
    }
  }

  /// The call gave up (cancel, deadline): send CANCEL and forget it.
  func cancel(_ call: ClientCall, status: RPCStatus) {
    if let i = waitingForStream.firstIndex(where: { $0 === call }) {
      waitingForStream.remove(at: i)
      return
    }
    guard calls.removeValue(forKey: call.streamID) != nil else { return }
    machine.forget(streamID: call.streamID)
    writeFrame(.cancel, streamID: call.streamID, message: status.wire)
    callRemoved()
  }

  private func callRemoved() {
    openWaitingStreams()
    if machine.callEndedShouldClose() { context?.close(promise: nil) }
  }

  // MARK: - Writing

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

  /// See `OutboundFrames.flushIfAlone`.
  func flushIfAlone() { outbound.flushIfAlone(openCalls: calls.count) }

  /// See `OutboundFrames.writeTogether`.
  func writeTogether(_ body: () -> Void) { outbound.writeTogether(body) }

  func flushNow() { outbound.flushNow() }

  // MARK: - Keepalive

  private func scheduleKeepalive() {
    guard let interval = keepalive.interval, let loop = context?.eventLoop else { return }
    keepaliveTimer = loop.assumeIsolated().scheduleTask(in: interval) { [self] in
      self.keepaliveTick()
    }
  }

  private func keepaliveTick() {
    guard let interval = keepalive.interval, let context else { return }
    let now = NIODeadline.now()
    if pingOutstanding {
      if now - pingSentAt >= keepalive.timeout {
        logger.debug("keepalive timeout: closing connection")
        context.close(promise: nil)
        return
      }
    } else if now - lastRead >= interval {
      pingOutstanding = true
      pingSentAt = now
      writeFrame(.ping, streamID: 0, bytes: [0, 0, 0, 0, 0, 0, 0, 1])
    }
    keepaliveTimer = context.eventLoop.assumeIsolated().scheduleTask(
      in: min(interval, keepalive.timeout)
    ) { [self] in
      self.keepaliveTick()
    }
  }

}
