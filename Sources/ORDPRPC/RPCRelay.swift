public import NIOCore

/// Passes calls on, undecoded: what a proxy does with a call it only routes.
public enum RPCRelay {
  /// Passes one call on to `channel` as `method`: its requests as they come, the responses
  /// back as they come, and its end — the backend's status, thrown as its `RPCError` — with
  /// flow control end to end (a request is read from the caller only once the backend can
  /// take it; a response only once the caller can). Deadline and cancellation follow the
  /// handler's task.
  public static func forward(
    _ method: MethodDescriptor, requests: RPCRawMessages, responses: RPCRawWriter,
    to channel: RPCChannel, options: CallOptions
  ) async throws {
    switch method.kind {
    case .unary, .serverStreaming:
      let request = try await single(requests, method)
      try await forward(
        method, request: request, responses: responses, to: channel, options: options)
    case .clientStreaming, .bidirectionalStreaming:
      try await channel.streamingRaw(
        method, options: options,
        requests: { writer in
          for try await message in requests { try await writer.write(message) }
        }
      ) { stream in
        for try await message in stream { try await responses.write(message) }
      }
    }
  }

  /// Passes on a call with one request (unary or server-streaming) whose request was read
  /// already (`single`), so that a balancer can try it on another channel; `onResponse` runs
  /// before each response is passed back.
  public static func forward(
    _ method: MethodDescriptor, request: ByteBuffer, responses: RPCRawWriter,
    to channel: RPCChannel, options: CallOptions, onResponse: @Sendable () -> Void = {}
  ) async throws {
    precondition(method.kind.hasSingleRequest, "\(method.path) takes a stream of requests")
    if method.kind == .unary {
      let response = try await channel.unaryRaw(method, request: request, options: options)
      onResponse()
      try await responses.write(response)
    } else {
      try await channel.serverStreamingRaw(method, request: request, options: options) {
        stream in
        for try await message in stream {
          onResponse()
          try await responses.write(message)
        }
      }
    }
  }

  /// The one request of a unary or server-streaming call.
  public static func single(
    _ requests: RPCRawMessages, _ method: MethodDescriptor
  ) async throws -> ByteBuffer {
    var iterator = requests.makeAsyncIterator()
    guard let request = try await iterator.next() else {
      throw RPCError(.internal, "\(method.path) got no request")
    }
    return request
  }
}
