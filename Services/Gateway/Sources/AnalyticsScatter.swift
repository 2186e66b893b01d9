import NIOCore
import ORDPAnalyticsAPI
import ORDPRPC
import SwiftProtobuf
import Synchronization

/// Analytics reads over every partition (`Route.scatter`): `Latest`, `ListDatastreams` and
/// `Aggregate` asked of each partition, merged by `AnalyticsMerge`. The answer's pages.
enum AnalyticsScatter {
  typealias A = Ordp_Analytics_V1_Analytics.Method

  /// What the gateway holds of one aggregate's partition answers at most.
  static let maximumAggregateBytes = 256 << 20

  /// The `datastream_ids` of an analytics read's stream selection (decoded before, by
  /// `PartitionRoutes`).
  static func selectedIDs(_ method: MethodDescriptor, _ request: ByteBuffer) throws -> [String] {
    switch method.path {
    case A.latest.path:
      try decode(Ordp_Analytics_V1_LatestRequest.self, request).streams.datastreamIds
    case A.listDatastreams.path:
      try decode(Ordp_Analytics_V1_ListDatastreamsRequest.self, request).streams.datastreamIds
    case A.aggregate.path:
      try decode(Ordp_Analytics_V1_AggregateRequest.self, request).streams.datastreamIds
    case A.readObservations.path:
      try decode(Ordp_Analytics_V1_ReadObservationsRequest.self, request).streams.datastreamIds
    default: []
    }
  }

  /// `only`: a selection by stream id split by partition (`SelectionByID`) — only those
  /// partitions are asked, each for its own streams.
  static func run(
    _ method: MethodDescriptor, request: ByteBuffer, pool: BackendPool, only: [Int: [String]]?,
    options: CallOptions, partitionTimeout: Duration
  ) async throws -> [ByteBuffer] {
    let all = pool.partitions
    let chosen = only.map { only in all.indices.filter { only[$0] != nil }.map { all[$0] } }
    func spread<Value: Sendable>(
      over partitions: [Topology.Partition]? = nil,
      _ body: @escaping @Sendable (Int, RPCChannel, CallOptions) async throws -> Value
    ) async -> [PartitionFanout.Part<Value>] {
      await PartitionFanout.spread(
        pool, over: partitions ?? chosen, idempotent: true, timeout: partitionTimeout,
        options: options, body)
    }
    switch method.path {
    case A.latest.path:
      let latest = try decode(Ordp_Analytics_V1_LatestRequest.self, request)
      let parts = await spread { index, channel, options in
        try decode(
          Ordp_Analytics_V1_LatestResponse.self,
          try await channel.unaryRaw(
            method, request: only == nil ? request : try own(latest, index, only), options: options)
        )
      }
      return [try encode(AnalyticsMerge.latest(parts))]
    case A.listDatastreams.path:
      let list = try decode(Ordp_Analytics_V1_ListDatastreamsRequest.self, request)
      let size = list.pageSize == 0 ? 100 : Int(list.pageSize)
      guard size <= 1000 else { throw RPCError(.invalidArgument, "page_size: at most 1000") }
      let partitions = chosen ?? all
      let cursor = try AnalyticsMerge.decodeList(list.pageToken, partitions: all.map(\.name))
      let asked = partitions.filter { !cursor.done.contains($0.name) }
      let parts = await spread(over: asked) { index, channel, options in
        var own = list
        if let only { own.streams.datastreamIds = only[index] ?? [] }
        let name = all.indices.contains(index) ? all[index].name : ""
        own.pageToken = cursor.after[name] ?? ""
        own.pageSize = UInt32(size)
        return try decode(
          Ordp_Analytics_V1_ListDatastreamsResponse.self,
          try await channel.unaryRaw(
            method, request: ByteBuffer(bytes: try own.serializedBytes() as [UInt8]),
            options: options))
      }
      return [
        try encode(
          AnalyticsMerge.list(parts, all: partitions.map(\.name), cursor: cursor, size: size))
      ]
    case A.aggregate.path:
      var aggregate = try decode(Ordp_Analytics_V1_AggregateRequest.self, request)
      let wantsPartial = aggregate.partial
      aggregate.partial = true
      let asked = aggregate
      let held = Atomic<Int>(0)
      let parts = await spread { index, channel, options in
        let request = try own(asked, index, only)
        return try await channel.serverStreamingRaw(method, request: request, options: options) {
          stream in
          var pages: [Ordp_Analytics_V1_AggregateResponse] = []
          for try await page in stream {
            let total = held.add(page.readableBytes, ordering: .relaxed).newValue
            guard total <= maximumAggregateBytes else {
              throw RPCError(
                .resourceExhausted,
                "the partitions' answers exceed \(maximumAggregateBytes >> 20) MiB; narrow the range or the selection, or widen the bucket"
              )
            }
            pages.append(try decode(Ordp_Analytics_V1_AggregateResponse.self, page))
          }
          return pages
        }
      }
      // The answer is too big, not a partition down: say so rather than answer in part.
      for part in parts {
        if case .failure(let e) = part.result, e.code == .resourceExhausted { throw e }
      }
      let (statuses, answered) = try PartitionFanout.statuses(parts, what: "analytics")
      var rows = AnalyticsMerge.AggregateRows()
      for (_, pages) in answered { try rows.add(pages) }
      return try rows.pages(
        functions: aggregate.functions, partial: wantsPartial, pageRows: 10_000,
        statuses: statuses
      ).map(encode)
    default:
      throw RPCError(.internal, "\(method.path) is not spread over partitions")
    }
  }

  /// `message` with partition `index`'s share of a selection by id (`only`).
  static func own<M: StreamSelecting>(
    _ message: M, _ index: Int, _ only: [Int: [String]]?
  ) throws -> ByteBuffer {
    guard let only else { return try encode(message) }
    var message = message
    message.streams.datastreamIds = only[index] ?? []
    return try encode(message)
  }

  static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ buffer: ByteBuffer) throws -> M {
    do { return try M(serializedBytes: Array(buffer.readableBytesView)) } catch {
      throw RPCError(.internal, "a partition answered what is not a \(M.protoMessageName)")
    }
  }

  static func encode(_ message: some SwiftProtobuf.Message) throws -> ByteBuffer {
    ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
  }
}

/// The analytics reads that select streams.
protocol StreamSelecting: SwiftProtobuf.Message {
  var streams: Ordp_Analytics_V1_StreamSelector { get set }
}

extension Ordp_Analytics_V1_LatestRequest: StreamSelecting {}
extension Ordp_Analytics_V1_ListDatastreamsRequest: StreamSelecting {}
extension Ordp_Analytics_V1_AggregateRequest: StreamSelecting {}
extension Ordp_Analytics_V1_ReadObservationsRequest: StreamSelecting {}
