public import NIOCore

/// Calls whose messages are bytes, passed on undecoded — for relays (the gateway). Same
/// behaviour as the typed calls: interceptors, deadlines (inherited from a handler's),
/// cancellation, transparent retry of refused calls with one request.
extension RPCChannel {
  /// A unary call.
  public func unaryRaw(
    _ method: MethodDescriptor, request: ByteBuffer, options: CallOptions = .defaults
  ) async throws -> ByteBuffer {
    let bytes = Array(request.readableBytesView)
    return try await interceptors.run(head: ClientCallHead(method: method, options: options)) {
      head in try await self.unaryCall(head.method, options: head.options, request: bytes)
    }
  }

  /// A server-streaming call: `onResponse` reads the responses; the call ends when it returns.
  public func serverStreamingRaw<Result: Sendable>(
    _ method: MethodDescriptor, request: ByteBuffer, options: CallOptions = .defaults,
    onResponse: (RPCRawMessages) async throws -> Result
  ) async throws -> Result {
    let bytes = Array(request.readableBytesView)
    return try await withoutActuallyEscaping(onResponse) { onResponse in
      let box = UncheckedSendable(onResponse)
      return try await interceptors.run(head: ClientCallHead(method: method, options: options)) {
        head in
        try await self.serverStreamingCall(head.method, options: head.options, request: bytes) {
          queue in try await box.value(RPCRawMessages(queue: queue))
        }
      }
    }
  }

  /// A client- or bidirectional-streaming call: `requests` writes while `onResponse` reads
  /// (for a client-streaming method, the one response once the call has ended).
  public func streamingRaw<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions = .defaults,
    requests: @escaping @Sendable (RPCRawWriter) async throws -> Void,
    onResponse: (RPCRawMessages) async throws -> Result
  ) async throws -> Result {
    precondition(!method.kind.hasSingleRequest, "\(method.path) takes one request")
    return try await withoutActuallyEscaping(onResponse) { onResponse in
      let box = UncheckedSendable(onResponse)
      return try await interceptors.run(head: ClientCallHead(method: method, options: options)) {
        head in
        try await self.streamingCall(
          head.method, options: head.options,
          requests: { sink in try await requests(RPCRawWriter(sink: sink)) }
        ) { (call: ClientCall) -> Result in
          if head.method.kind == .clientStreaming {
            _ = try await call.ended()
            return try await box.value(.single(call.singleResponse!))
          }
          return try await box.value(RPCRawMessages(queue: call.responses!))
        }
      }
    }
  }
}
