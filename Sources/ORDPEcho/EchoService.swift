public import ORDPRPC

/// The echo service: all four call kinds, for tests, examples and benchmarks.
public struct EchoService: Ordp_Echo_V1_Echo_ServiceProtocol {
  public init() {}

  public func get(
    request: Ordp_Echo_V1_EchoRequest, context: ServerContext
  ) async throws -> Ordp_Echo_V1_EchoResponse {
    if request.delayMicros > 0 || request.failCode != 0 { try await Self.behave(request) }
    return Self.response(request, context: context, index: 0)
  }

  public func collect(
    requests: RPCRequestStream<Ordp_Echo_V1_EchoRequest>, context: ServerContext
  ) async throws -> Ordp_Echo_V1_EchoResponse {
    var texts: [String] = []
    var bytes = 0
    for try await request in requests {
      try await Self.behave(request)
      texts.append(request.text)
      bytes += request.payload.count
    }
    var response = Ordp_Echo_V1_EchoResponse()
    response.text = texts.joined(separator: " ")
    response.index = UInt32(bytes)
    response.peerIdentity = context.peerIdentity ?? ""
    return response
  }

  public func expand(
    request: Ordp_Echo_V1_EchoRequest, responses: RPCResponseWriter<Ordp_Echo_V1_EchoResponse>,
    context: ServerContext
  ) async throws {
    for i in 0..<request.repeat {
      if request.delayMicros > 0 { try await Task.sleep(for: .microseconds(request.delayMicros)) }
      try await responses.write(Self.response(request, context: context, index: i))
    }
    if request.failCode != 0 {
      throw RPCError(StatusCode(rawValue: request.failCode), request.text)
    }
  }

  public func update(
    requests: RPCRequestStream<Ordp_Echo_V1_EchoRequest>,
    responses: RPCResponseWriter<Ordp_Echo_V1_EchoResponse>, context: ServerContext
  ) async throws {
    var index: UInt32 = 0
    for try await request in requests {
      try await Self.behave(request)
      try await responses.write(Self.response(request, context: context, index: index))
      index += 1
    }
  }

  private static func behave(_ request: Ordp_Echo_V1_EchoRequest) async throws {
    if request.delayMicros > 0 { try await Task.sleep(for: .microseconds(request.delayMicros)) }
    if request.failCode != 0 {
      throw RPCError(StatusCode(rawValue: request.failCode), request.text)
    }
  }

  private static func response(
    _ request: Ordp_Echo_V1_EchoRequest, context: ServerContext, index: UInt32
  ) -> Ordp_Echo_V1_EchoResponse {
    var response = Ordp_Echo_V1_EchoResponse()
    response.text = request.text
    response.payload = request.payload
    response.index = index
    response.peerIdentity = context.peerIdentity ?? ""
    response.echoedMetadata = context.requestMetadata["x-echo"] ?? ""
    return response
  }
}
