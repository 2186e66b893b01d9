import NIOCore

/// One call on the server: collects its request, runs its handler as a task, writes its
/// response frames, enforces its deadline. State is touched only on the event loop; the
/// handler task reaches it through `onLoop`.
/// Hot state is `@exclusivity(unchecked)` for the reason given at `ServerConnectionHandler`.
final class ServerCall: @unchecked Sendable, FlowControlledSender {
  let streamID: UInt32
  let route: RPCRouter.Route
  let context: ServerContext
  let loop: any EventLoop
  @exclusivity(unchecked) private var connection: ServerConnectionHandler?
  @exclusivity(unchecked) var deadlineTimer: Scheduled<Void>?

  @exclusivity(unchecked) private var task: Task<Void, Never>?
  @exclusivity(unchecked) private var queue: InboundMessageQueue?
  @exclusivity(unchecked) private var request: ByteBuffer?
  @exclusivity(unchecked) private var requestCount = 0
  @exclusivity(unchecked) private var headersSent = false
  @exclusivity(unchecked) private var finished = false
  @exclusivity(unchecked) private var unaryResponse: [UInt8]?
  @exclusivity(unchecked) var pendingSends: [PendingSend] = []
  /// When the call opened, if an observer wants to know.
  let openedAt: NIODeadline?
  var hasEnded: Bool { finished }

  init(
    streamID: UInt32, route: RPCRouter.Route, context: ServerContext,
    connection: ServerConnectionHandler
  ) {
    self.streamID = streamID
    self.route = route
    self.context = context
    self.connection = connection
    self.loop = connection.eventLoop
    self.openedAt = connection.configuration.observer == nil ? nil : .now()
  }

  /// Tells the server's observer, if any, how the call ended.
  private func observe(_ code: StatusCode, _ connection: ServerConnectionHandler) {
    guard let observer = connection.configuration.observer, let openedAt else { return }
    observer.callEnded(
      EndedCall(
        path: route.descriptor.path, methodKnown: true, code: code, duration: .now() - openedAt,
        requestMetadata: context.requestMetadata, caller: context.response.caller,
        remoteAddress: context.remoteAddress, peerIdentity: context.peerIdentity))
  }

  // MARK: - Inbound (event loop)

  func opened(endStream: Bool) {
    if route.descriptor.kind.hasSingleRequest {
      if endStream { failRequestCount(0) }
    } else {
      queue = InboundMessageQueue { [weak self] bytes in self?.consumed(bytes) }
      start()
      if endStream { queue?.finish() }
    }
  }

  func receive(_ payload: ByteBuffer, endStream: Bool) {
    guard !finished else { return }
    if let limit = route.maximumRequestBytes, payload.readableBytes > limit {
      return endEarly(tooLarge(payload.readableBytes, limit: limit))
    }
    if let shape = route.packedFields, let field = shape.tooManyChunks(in: payload) {
      return endEarly(
        RPCStatus(
          code: .invalidArgument,
          message:
            "request field \(field) comes in more than \(PackedFieldShape.maximumChunks) packed chunks; send it as one"
        ))
    }
    if let queue {
      queue.push(payload)
      if endStream { queue.finish() }
      return
    }
    requestCount += 1
    guard requestCount == 1 else { return failRequestCount(requestCount) }
    request = payload
    if endStream { start() }
  }

  func endOfRequests() {
    guard !finished else { return }
    if let queue {
      queue.finish()
    } else if requestCount == 1 {
      start()
    } else {
      failRequestCount(0)
    }
  }

  private func failRequestCount(_ count: Int) {
    let what = count == 0 ? "none" : "more than one"
    finished = true
    deadlineTimer?.cancel()
    connection?.finishImmediately(
      streamID,
      RPCStatus(
        code: .internal,
        message: "\(route.descriptor.path) takes exactly one request message, got \(what)"))
    connection = nil
  }

  private func consumed(_ bytes: Int) {
    onLoop {
      guard !self.finished, let connection = self.connection,
        let increment = connection.machine.consumed(streamID: self.streamID, bytes: bytes)
      else { return }
      connection.writeWindowUpdate(streamID: self.streamID, increment: increment)
    }
  }

  func windowOpened() {
    sendPending()
  }

  // MARK: - Handler task

  private func start() {
    guard let connection else { return }
    // The closures are written out twice (not shared through a variable): that way each is
    // built for its `Task` initializer directly, without a converting thunk allocated per call.
    if let executor = connection.executor {
      // Starts right here, inside the read of its request, on the connection's loop: a handler
      // that does not suspend answers within the same read cycle, with no task-queue hop.
      task = Task.immediate(executorPreference: executor) { [self] in await self.run() }
    } else {
      task = Task { [self] in await self.run() }
    }
  }

  private func run() async {
    // Everything but the plain unary call (no interceptors, no deadline) runs in a function of
    // its own, and ending the call is not async: this frame holds little beyond the handler's
    // arguments, leaving the task's first block of frame memory to the handler's own frames.
    if case .unary(let h) = route.handler, connection?.interceptors.isEmpty ?? true,
      context.deadline == nil
    {
      do {
        unaryResponse = try await h(request!, context)
        complete(RPCStatus(code: .ok))
      } catch {
        complete(status(for: error))
      }
    } else {
      complete(await runGeneral())
    }
  }

  /// Adds the trailers the handler set and ends the call on the event loop.
  private func complete(_ status: RPCStatus) {
    var status = status
    let trailers = context.response.trailers
    if !trailers.isEmpty { status.metadata.add(contentsOf: trailers) }
    if loop.inEventLoop {
      finish(status)
    } else {
      let final = status
      loop.execute { self.finish(final) }
    }
  }

  private func runGeneral() async -> RPCStatus {
    let interceptors = connection?.interceptors ?? []
    let request = self.request
    let queue = self.queue
    let handler = route.handler
    let body: @Sendable (ServerContext) async throws -> Void = { [self] ctx in
      switch handler {
      case .unary(let h):
        self.unaryResponse = try await h(request!, ctx)
      case .serverStreaming(let h):
        try await h(request!, self, ctx)
      case .clientStreaming(let h):
        self.unaryResponse = try await h(queue!, ctx)
      case .bidirectional(let h):
        try await h(queue!, self, ctx)
      }
    }
    do {
      try await runIntercepted(body, interceptors: interceptors)
      return RPCStatus(code: .ok)
    } catch {
      return status(for: error)
    }
  }

  /// The status a handler's error ends its call with. An error the handler did not turn into
  /// a status (a database error, a Swift error) ends the call as INTERNAL with a fixed message
  /// and a request id; its cause goes to the server's log under that id, never to the client.
  private func status(for error: any Error) -> RPCStatus {
    if let error = error as? any RPCErrorConvertible { return error.rpcError.status }
    if error is CancellationError {
      return RPCStatus(code: .cancelled, message: "handler cancelled")
    }
    return UnexpectedError.status(
      for: error, context: context, logger: connection?.logger ?? UnexpectedError.fallbackLogger)
  }

  /// The handler behind interceptors and with the deadline visible to the calls it makes.
  private func runIntercepted(
    _ body: @escaping @Sendable (ServerContext) async throws -> Void,
    interceptors: [any ServerInterceptor]
  ) async throws {
    let context = self.context
    if let deadline = context.deadline {
      try await RPCDeadline.$current.withValue(deadline) {
        try await interceptors.run(context: context, body: body)
      }
    } else if interceptors.isEmpty {
      try await body(context)
    } else {
      try await interceptors.run(context: context, body: body)
    }
  }

  // MARK: - Outbound (event loop)

  private func finish(_ status: RPCStatus) {
    guard !finished, let connection else { return }
    var status = status
    connection.writeTogether {
      if status.code == .ok, let response = unaryResponse {
        switch send(response, waitForWritability: false) {
        case .success?, nil: break  // nil cannot happen: a fresh stream's window is open
        case .failure(let error):
          status = (error as? RPCError)?.status ?? RPCStatus(code: .internal, message: "\(error)")
        }
      }
      finished = true
      deadlineTimer?.cancel()
      if status.code == .ok, status.message.isEmpty, status.metadata.isEmpty {
        // An OK status without message or trailers serializes to zero bytes.
        connection.writeFrame(.trailers, streamID: streamID, bytes: [])
      } else {
        connection.writeFrame(.trailers, streamID: streamID, message: status.wire)
      }
    }
    failPendingSends(RPCError(.cancelled, "call already ended"))
    connection.flushIfAlone()
    connection.callFinished(streamID)
    observe(status.code, connection)
    self.connection = nil
  }

  /// Sends a streaming response message now; nil when the peer's window is exhausted or the
  /// connection's outbound buffer is full (the client is not reading).
  func trySend(_ bytes: [UInt8]) -> Result<Void, any Error>? {
    send(bytes, waitForWritability: true)
  }

  /// Sends a response message now; nil when it must wait. A unary response does not wait for
  /// writability: it is the call's only message, and the socket is not read while the buffer
  /// is full, so no further calls pile up behind it.
  private func send(_ bytes: [UInt8], waitForWritability: Bool) -> Result<Void, any Error>? {
    guard !finished, let connection else {
      return .failure(RPCError(.cancelled, "call already ended"))
    }
    if waitForWritability, !connection.isWritable { return nil }
    guard bytes.count <= connection.maxOutboundFrameSize else {
      return .failure(
        RPCError(
          .resourceExhausted,
          "response message of \(bytes.count) bytes exceeds the client's max_frame_size \(connection.maxOutboundFrameSize)"
        ))
    }
    switch connection.machine.sendMessage(streamID: streamID, bytes: bytes.count) {
    case .send:
      if !headersSent {
        headersSent = true
        let headers = context.response.headers
        if !headers.isEmpty {
          var h = Ordp_Rpc_V1_ResponseHeaders()
          h.metadata = headers.wireEntries
          connection.writeFrame(.headers, streamID: streamID, message: h)
        }
      }
      connection.writeFrame(.message, streamID: streamID, bytes: bytes)
      return .success(())
    case .wait:
      return nil
    case .streamClosed:
      return .failure(RPCError(.cancelled, "call already ended"))
    }
  }

  // MARK: - Ending early (event loop)

  /// The status of a request message larger than the method takes.
  func tooLarge(_ bytes: Int, limit: Int) -> RPCStatus {
    RPCStatus(
      code: .resourceExhausted,
      message:
        "request message of \(bytes) bytes exceeds the \(limit) bytes \(route.descriptor.path) takes"
    )
  }

  func deadlineExceeded() {
    endEarly(RPCStatus(code: .deadlineExceeded, message: "deadline exceeded"))
  }

  /// Ends the call with `status` now, whether its handler started or not; a running handler is
  /// cancelled and what it writes afterwards goes nowhere.
  func endEarly(_ status: RPCStatus) {
    guard !finished, let connection else { return }
    finished = true
    connection.writeFrame(.trailers, streamID: streamID, message: status.wire)
    cancelEverything(RPCError(status: status))
    connection.callFinished(streamID)
    observe(status.code, connection)
    self.connection = nil
  }

  /// The call is gone (client CANCEL, connection lost): stop the handler, write nothing.
  func abort(_ error: RPCError, cancelTask: Bool) {
    guard !finished else { return }
    finished = true
    if let connection { observe(error.code, connection) }
    connection = nil
    cancelEverything(error)
  }

  private func cancelEverything(_ error: RPCError) {
    deadlineTimer?.cancel()
    queue?.fail(error)
    failPendingSends(error)
    task?.cancel()
  }

}
