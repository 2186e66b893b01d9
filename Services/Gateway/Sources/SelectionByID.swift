import NIOCore
import ORDPAnalyticsAPI
import ORDPRPC

/// A stream selection by `datastream_ids` over partitioned analytics: a partition refuses ids
/// it does not hold (NOT_FOUND, as for a stream the caller may not see), so each partition is
/// sent only its own. Where a stream lives is learned from `StreamOwners`; ids it does not know
/// yet are learned by listing every partition's streams as the caller sees them (at most
/// `maximumListed` a partition) — a cost bounded by the streams that exist, not by what the
/// caller sends. An id no partition shows the caller is NOT_FOUND, as one instance answers.
enum SelectionByID {
  static let maximumListed = 100_000

  /// Partition index → the ids of `ids` it holds (in the caller's order).
  static func split(
    _ ids: [String], pool: BackendPool, owners: StreamOwners, options: CallOptions,
    timeout: Duration
  ) async throws -> [Int: [String]] {
    guard ids.count <= 10_000 else {
      throw RPCError(.invalidArgument, "streams.datastream_ids: at most 10,000")
    }
    if ids.contains(where: { owners.owner($0) == nil }) {
      try await learn(pool: pool, owners: owners, options: options, timeout: timeout)
    }
    var split: [Int: [String]] = [:]
    var seen = Set<String>()
    for id in ids where seen.insert(id).inserted {
      guard let owner = owners.owner(id), let partition = pool.partition(ofTown: owner) else {
        throw RPCError(.notFound, "datastream \(id.prefix(200)) not found")
      }
      split[partition, default: []].append(id)
    }
    return split
  }

  /// Lists every partition's streams (as the caller sees them) into `owners`. A partition that
  /// does not answer fails the call: its ids could not be told from missing ones.
  static func learn(
    pool: BackendPool, owners: StreamOwners, options: CallOptions, timeout: Duration
  ) async throws {
    let method = Ordp_Analytics_V1_Analytics.Method.listDatastreams
    let parts = await PartitionFanout.spread(
      pool, idempotent: true, timeout: timeout, options: options
    ) { _, channel, options in
      var request = Ordp_Analytics_V1_ListDatastreamsRequest()
      request.pageSize = 1000
      var listed = 0
      while listed < maximumListed {
        let page = try AnalyticsScatter.decode(
          Ordp_Analytics_V1_ListDatastreamsResponse.self,
          try await channel.unaryRaw(
            method, request: try AnalyticsScatter.encode(request), options: options))
        for stream in page.datastreams { owners.remember(stream.id, owner: stream.owner) }
        listed += page.datastreams.count
        if page.nextPageToken.isEmpty || page.datastreams.isEmpty { break }
        request.pageToken = page.nextPageToken
      }
    }
    for part in parts {
      if case .failure(let error) = part.result {
        throw RPCError(
          .unavailable,
          "analytics partition \(part.partition.name) (\(PartitionFanout.describeTowns(part.partition))) did not answer where the selected streams live: \(error.message)"
        )
      }
    }
  }
}
