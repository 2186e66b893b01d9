import NIOCore
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
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
      return [
        try await find(
          method, request: request, pool: pool, idempotent: true, options: options,
          partitionTimeout: partitionTimeout)
      ]
    case .scatter:
      var pages: [ByteBuffer] = []
      try await scatter(
        method, request: request, pool: pool, options: options, partitionTimeout: partitionTimeout
      ) { pages.append($0) }
      return pages
    }
  }

  /// A unary call by id asked of every partition (`Route.find`): the answer of the one that
  /// has what it names.
  static func find(
    _ method: MethodDescriptor, request: ByteBuffer, pool: BackendPool, idempotent: Bool,
    options: CallOptions, partitionTimeout: Duration
  ) async throws -> ByteBuffer {
    let parts = await PartitionFanout.spread(
      pool, idempotent: idempotent, timeout: partitionTimeout, options: options
    ) { _, channel, options in
      try await channel.unaryRaw(method, request: request, options: options)
    }
    return try PartitionFanout.found(parts)
  }

  /// A read spread over every partition and merged (`Route.scatter`): the answer's pages,
  /// given to `write` as they are ready. Decoding and merging are work for the global
  /// executor, not an event loop.
  static func scatter(
    _ method: MethodDescriptor, request: ByteBuffer, pool: BackendPool, options: CallOptions,
    partitionTimeout: Duration, write: (ByteBuffer) async throws -> Void
  ) async throws {
    try await withTaskExecutorPreference(globalConcurrentExecutor) {
      switch method.path {
      case Ordp_Catalogue_V1_Catalogue.Method.search.path:
        try await write(
          try await SearchScatter.run(
            request, pool: pool, options: options, partitionTimeout: partitionTimeout))
      case Ordp_Catalogue_V1_Catalogue.Method.watchChanges.path:
        try await WatchScatter.run(request, pool: pool, options: options, write: write)
      case Ordp_Catalogue_V1_Catalogue.Method.export.path:
        try await ExportScatter.run(request, pool: pool, options: options, write: write)
      default:
        // Analytics: a selection by stream id goes to the partitions holding those streams.
        var only: [Int: [String]]? = nil
        let ids = try AnalyticsScatter.selectedIDs(method, request)
        if !ids.isEmpty {
          let split = try await SelectionByID.split(
            ids, pool: pool, owners: pool.streamOwners, options: options,
            timeout: partitionTimeout)
          if split.count == 1, let partition = split.keys.first {
            try await pool.call(partition: partition, idempotent: true) { channel, attempt in
              if method.kind == .unary {
                try await write(
                  try await channel.unaryRaw(method, request: request, options: options))
                return
              }
              try await channel.serverStreamingRaw(method, request: request, options: options) {
                pages in
                for try await page in pages {
                  attempt.committed()
                  try await write(page)
                }
              }
            }
            return
          }
          only = split
        }
        if method.path == Ordp_Analytics_V1_Analytics.Method.readObservations.path {
          try await ObservationScatter.run(
            request, pool: pool, only: only, options: options, partitionTimeout: partitionTimeout,
            write: write)
          return
        }
        for page in try await AnalyticsScatter.run(
          method, request: request, pool: pool, only: only, options: options,
          partitionTimeout: partitionTimeout)
        {
          try await write(page)
        }
      }
    }
  }
}
