import Foundation
public import ORDPCatalogueAPI
public import ORDPRPC

/// Merges the search pages of several catalogue partitions into one, as a coordinating node
/// does: hits in the request's order (relevance: score, then modified time; modified: newest
/// first; title: by folded title — the partitions' own orders, whose keys every hit carries),
/// ties by dataset id as in each partition (so the merge equals one catalogue's order); totals added; facet counts added per value; one page token
/// that holds where each partition stands (the page token of the last hit taken from it).
/// I/O-free; `GatewayService` asks the partitions, this decides.
public enum SearchMerge {
  /// Where a merged search stands in each partition.
  public struct Cursor: Codable, Sendable, Equatable {
    /// Partition name → its page token ("" from its start).
    public var positions: [String: String]
    /// Partitions with nothing further, with their total when they were done (a page no
    /// longer asks them, but the total counts them).
    public var done: [String: UInt64]

    public init(positions: [String: String] = [:], done: [String: UInt64] = [:]) {
      self.positions = positions
      self.done = done
    }
  }

  static let tokenPrefix = "m1."

  public static func encode(_ cursor: Cursor) -> String {
    let data = (try? JSONEncoder().encode(cursor)) ?? Data()
    return tokenPrefix + data.base64EncodedString()
  }

  /// The cursor of a merged search's page token, checked against the partitions now.
  public static func decode(_ token: String, partitions: [String]) throws -> Cursor {
    if token.isEmpty { return Cursor() }
    let invalid = RPCError(
      .invalidArgument, "page_token: not a page token of this search (same query and sort)")
    guard token.utf8.count <= 16 + partitions.count * 6000, token.hasPrefix(tokenPrefix),
      let data = Data(base64Encoded: String(token.dropFirst(tokenPrefix.count))),
      let cursor = try? JSONDecoder().decode(Cursor.self, from: data)
    else { throw invalid }
    let known = Set(partitions)
    guard Set(cursor.positions.keys).isSubset(of: known), Set(cursor.done.keys).isSubset(of: known),
      cursor.positions.values.allSatisfy({ $0.utf8.count <= 4096 })
    else {
      throw RPCError(
        .invalidArgument,
        "page_token: the catalogue's partitions changed since this search began; search again")
    }
    return cursor
  }

  /// One partition's page.
  public struct Page: Sendable {
    public var partition: Topology.Partition
    public var result: Result<Ordp_Catalogue_V1_SearchResponse, RPCError>

    public init(
      partition: Topology.Partition, result: Result<Ordp_Catalogue_V1_SearchResponse, RPCError>
    ) {
      self.partition = partition
      self.result = result
    }
  }

  /// The merged page of `limit` hits from `pages` (asked from `cursor`, in partition order;
  /// partitions done already have no page) of the partitions named `all`; UNAVAILABLE when no
  /// partition answered.
  public static func merge(
    _ pages: [Page], all: [String], cursor: Cursor, limit: Int,
    sort: Ordp_Catalogue_V1_SortOrder, facets facetLimit: Int?
  ) throws -> Ordp_Catalogue_V1_SearchResponse {
    var response = Ordp_Catalogue_V1_SearchResponse()
    let (statuses, answeredParts) = try PartitionFanout.statuses(
      pages.map { PartitionFanout.Part(partition: $0.partition, result: $0.result) },
      what: "catalogue")
    response.partitions = statuses
    let answered = answeredParts.map { (name: $0.name, page: $0.value) }

    // K-way merge: each partition's hits are in order already.
    var heads = [Int](repeating: 0, count: answered.count)
    var taken: [Ordp_Catalogue_V1_SearchHit] = []
    taken.reserveCapacity(limit)
    while taken.count < limit {
      var best: Int? = nil
      for i in answered.indices where heads[i] < answered[i].page.hits.count {
        guard let b = best else {
          best = i
          continue
        }
        if precedes(answered[i].page.hits[heads[i]], answered[b].page.hits[heads[b]], sort) {
          best = i
        }
      }
      guard let b = best else { break }
      var hit = answered[b].page.hits[heads[b]]
      heads[b] += 1
      hit.pageToken = ""
      taken.append(hit)
    }
    response.hits = taken

    var next = cursor
    for (i, part) in answered.enumerated() {
      let hits = part.page.hits
      if heads[i] > 0 { next.positions[part.name] = hits[heads[i] - 1].pageToken }
      if heads[i] == hits.count, part.page.nextPageToken.isEmpty {
        next.done[part.name] = part.page.total
        next.positions.removeValue(forKey: part.name)
      }
    }
    response.nextPageToken = all.allSatisfy { next.done[$0] != nil } ? "" : encode(next)
    response.total = answered.reduce(cursor.done.values.reduce(0, &+)) { $0 &+ $1.page.total }
    if let facetLimit {
      response.facets = mergeFacets(answered.map(\.page.facets), limit: facetLimit)
    }
    return response
  }

  /// Whether `a` comes before `b` in `sort`: the catalogue's own order, ties by dataset id.
  static func precedes(
    _ a: Ordp_Catalogue_V1_SearchHit, _ b: Ordp_Catalogue_V1_SearchHit,
    _ sort: Ordp_Catalogue_V1_SortOrder
  ) -> Bool {
    let byID = a.dataset.id.utf8.lexicographicallyPrecedes(b.dataset.id.utf8)
    switch sort {
    case .title:
      if a.sortKey == b.sortKey { return byID }
      return a.sortKey.utf8.lexicographicallyPrecedes(b.sortKey.utf8)
    case .modified:
      let (x, y) = (Int64(a.sortKey) ?? .min, Int64(b.sortKey) ?? .min)
      return x != y ? x > y : byID
    default:
      // Relevance; without words every score is 0 and the key is the modified time.
      if a.score != b.score { return a.score > b.score }
      let (x, y) = (Int64(a.sortKey) ?? .min, Int64(b.sortKey) ?? .min)
      return x != y ? x > y : byID
    }
  }

  /// Facet counts added up per field and value; each field's `limit` largest. Partitions are
  /// asked for 1000 values per field: with more distinct values than that in a partition, a
  /// value outside its 1000 largest is counted without that partition's share (as with
  /// Elasticsearch's shard sizes); below, the counts are exact.
  static func mergeFacets(
    _ facets: [[Ordp_Catalogue_V1_Facet]], limit: Int
  ) -> [Ordp_Catalogue_V1_Facet] {
    var order: [String] = []
    var counts: [String: [String: UInt64]] = [:]
    for list in facets {
      for facet in list {
        if counts[facet.field] == nil { order.append(facet.field) }
        for value in facet.values {
          counts[facet.field, default: [:]][value.value, default: 0] &+= value.count
        }
      }
    }
    return order.map { field in
      var facet = Ordp_Catalogue_V1_Facet()
      facet.field = field
      facet.values = counts[field, default: [:]]
        .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        .prefix(limit)
        .map { value, count in
          var v = Ordp_Catalogue_V1_FacetValue()
          v.value = value
          v.count = count
          return v
        }
      return facet
    }
  }
}
