import NIOCore
import ORDPAnalyticsAPI
import ORDPRPC

/// A raw read (`ReadObservations`) over every partition of analytics: each partition asked for
/// a page at a time from where the merge stands in it (`ObservationMerge` decides), the
/// merged pages written as they fill. A partition that fails ends the read with UNAVAILABLE
/// naming it — a page stream has no place for a partition's status, and a read that went on
/// without it would silently leave its streams out; the caller resumes with the last page's
/// cursor.
enum ObservationScatter {
  /// `only`: a selection by stream id split by partition (`SelectionByID`) — only those
  /// partitions are read, each for its own streams.
  static func run(
    _ request: ByteBuffer, pool: BackendPool, only: [Int: [String]]?, options: CallOptions,
    partitionTimeout: Duration, write: (ByteBuffer) async throws -> Void
  ) async throws {
    let method = Ordp_Analytics_V1_Analytics.Method.readObservations
    // Decoded before, by `PartitionRoutes`.
    let read = try AnalyticsScatter.decode(Ordp_Analytics_V1_ReadObservationsRequest.self, request)
    let pageSize = read.pageSize == 0 ? 10_000 : Int(read.pageSize)
    guard pageSize <= 100_000 else {
      throw RPCError(.invalidArgument, "page_size: at most 100,000")
    }
    // Checked here so that a bad cursor is the caller's error, not every partition's.
    _ = try ObservationCursor(read.cursor)
    let all = pool.partitions
    // The merge's sources: the partitions read, by their index in the pool.
    let sources = all.indices.filter { only?[$0] != nil || only == nil }
    var merge = ObservationMerge(partitions: sources.count, pageSize: pageSize, cursor: read.cursor)
    while let step = merge.next() {
      switch step {
      case .page(let page, _):
        try await write(try AnalyticsScatter.encode(page))
      case .fetch(let fetches):
        let cursors = Dictionary(
          uniqueKeysWithValues: fetches.map { (sources[$0.partition], $0.cursor) })
        let asked = fetches.map { all[sources[$0.partition]] }
        let parts = await PartitionFanout.spread(
          pool, over: asked, idempotent: true, timeout: partitionTimeout, options: options
        ) { index, channel, options in
          var own = read
          own.cursor = cursors[index] ?? read.cursor
          if let only { own.streams.datastreamIds = only[index] ?? [] }
          own.pageSize = UInt32(pageSize)
          let bytes = try AnalyticsScatter.encode(own)
          // The partition's first page; leaving the stream ends the call there.
          return try await channel.serverStreamingRaw(method, request: bytes, options: options) {
            stream in
            for try await page in stream {
              return try AnalyticsScatter.decode(Ordp_Analytics_V1_ObservationPage.self, page)
            }
            throw RPCError(.internal, "the partition ended a raw read without a page")
          }
        }
        for (fetch, part) in zip(fetches, parts) {
          switch part.result {
          case .success(let page):
            guard merge.received(page, from: fetch.partition) else {
              throw RPCError(
                .internal,
                "analytics partition \(part.partition.name) answered a raw read with a page that is not one"
              )
            }
          case .failure(let error) where PartitionFanout.isPartitionFailure(error.code):
            throw RPCError(
              .unavailable,
              "analytics partition \(part.partition.name) (\(PartitionFanout.describeTowns(part.partition))) did not answer: \(error.message); resume with the last page's cursor"
            )
          case .failure(let error):
            throw error
          }
        }
      }
    }
  }
}
