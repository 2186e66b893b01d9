import NIOCore
import ORDPCatalogueAPI
import ORDPRPC

/// A catalogue search over every partition (`Route.scatter`): each partition not done yet is
/// asked for a page from where the merged search stands in it, with a page token per hit;
/// `SearchMerge` makes one page of them.
enum SearchScatter {
  static func run(
    _ request: ByteBuffer, pool: BackendPool, options: CallOptions, partitionTimeout: Duration
  ) async throws -> ByteBuffer {
    let search: Ordp_Catalogue_V1_SearchRequest
    do {
      search = try Ordp_Catalogue_V1_SearchRequest(
        serializedBytes: Array(request.readableBytesView))
    } catch { throw RPCError(.invalidArgument, "request: not a valid SearchRequest") }
    let limit = search.pageSize == 0 ? 20 : min(Int(search.pageSize), 1000)
    let partitions = pool.partitions
    let cursor = try SearchMerge.decode(search.pageToken, partitions: partitions.map(\.name))
    let asked = partitions.filter { cursor.done[$0.name] == nil }
    let method = Ordp_Catalogue_V1_Catalogue.Method.search
    let parts = await PartitionFanout.spread(
      pool, over: asked, idempotent: true, timeout: partitionTimeout, options: options
    ) { index, channel, options in
      var own = search
      let name = partitions.indices.contains(index) ? partitions[index].name : ""
      own.pageToken = cursor.positions[name] ?? ""
      own.pageSize = UInt32(limit)
      own.hitPageTokens = true
      // Every value a partition has (up to 1000), so that the sums are those of one catalogue.
      own.facetLimit = 1000
      let bytes: [UInt8] = try own.serializedBytes()
      let answer = try await channel.unaryRaw(
        method, request: ByteBuffer(bytes: bytes), options: options)
      do {
        return try Ordp_Catalogue_V1_SearchResponse(
          serializedBytes: Array(answer.readableBytesView))
      } catch {
        throw RPCError(.internal, "partition \(name) answered what is not a SearchResponse")
      }
    }
    let merged = try SearchMerge.merge(
      parts.map { SearchMerge.Page(partition: $0.partition, result: $0.result) },
      all: partitions.map(\.name), cursor: cursor, limit: limit, sort: search.sort,
      facets: search.facets ? Int(search.facetLimit == 0 ? 50 : min(search.facetLimit, 1000)) : nil)
    return ByteBuffer(bytes: try merged.serializedBytes() as [UInt8])
  }
}
