import NIOCore
import ORDPRPC

/// Calls the gateway makes itself (the composite Platform calls): routed as a caller's call
/// would be (`PartitionRoutes`), on a replica of the partition or spread over every partition
/// and merged — with every response collected (these calls answer little).
enum BackendCalls {
  /// The responses of `method` with `request` on `pool`'s service.
  static func collect(
    _ method: MethodDescriptor, request: ByteBuffer, pool: BackendPool, options: CallOptions,
    partitionTimeout: Duration
  ) async throws -> [ByteBuffer] {
    switch try PartitionRoutes.route(
      method, request: request, partitions: pool.partitions.count,
      partitionOf: pool.partition(ofTown:))
    {
    case .partition(let partition):
      return try await pool.call(partition: partition, idempotent: true) { channel, _ in
        if method.kind == .unary {
          return [try await channel.unaryRaw(method, request: request, options: options)]
        }
        return try await channel.serverStreamingRaw(method, request: request, options: options) {
          stream in
          var responses: [ByteBuffer] = []
          for try await response in stream { responses.append(response) }
          return responses
        }
      }
    case .find:
      let parts = await PartitionFanout.spread(
        pool, idempotent: true, timeout: partitionTimeout, options: options
      ) { _, channel, options in
        try await channel.unaryRaw(method, request: request, options: options)
      }
      return [try PartitionFanout.found(parts)]
    case .scatter:
      if pool.backend == .catalogue {
        return [
          try await SearchScatter.run(
            request, pool: pool, options: options, partitionTimeout: partitionTimeout)
        ]
      }
      return try await AnalyticsScatter.run(
        method, request: request, pool: pool, options: options,
        partitionTimeout: partitionTimeout)
    case .unpartitioned(let why):
      throw RPCError(.unimplemented, why)
    }
  }
}
