import Foundation
import ORDPAnalytics
public import ORDPAnalyticsAPI
public import ORDPPartitionAPI
import ORDPRPC

/// Merges the answers of several analytics partitions into what one analytics instance over
/// all their data answers — I/O-free; `AnalyticsScatter` asks the partitions.
public enum AnalyticsMerge {
  // MARK: - Latest

  /// Every partition's latest values, ordered by stream id (as one instance orders them).
  public static func latest(
    _ parts: [PartitionFanout.Part<Ordp_Analytics_V1_LatestResponse>]
  ) throws -> Ordp_Analytics_V1_LatestResponse {
    let (statuses, answered) = try PartitionFanout.statuses(parts, what: "analytics")
    var response = Ordp_Analytics_V1_LatestResponse()
    response.values = answered.flatMap(\.value.values).sorted {
      $0.datastreamID.utf8.lexicographicallyPrecedes($1.datastreamID.utf8)
    }
    response.partitions = statuses
    return response
  }

  // MARK: - ListDatastreams

  /// Where a merged listing stands in each partition: the last stream id taken from it.
  public struct ListCursor: Codable, Sendable, Equatable {
    public var after: [String: String] = [:]
    public var done: Set<String> = []
    public init() {}
  }

  static let listPrefix = "l1."

  public static func encode(_ cursor: ListCursor) -> String {
    listPrefix + ((try? JSONEncoder().encode(cursor)) ?? Data()).base64EncodedString()
  }

  public static func decodeList(_ token: String, partitions: [String]) throws -> ListCursor {
    if token.isEmpty { return ListCursor() }
    guard token.utf8.count <= 64 + partitions.count * 300, token.hasPrefix(listPrefix),
      let data = Data(base64Encoded: String(token.dropFirst(listPrefix.count))),
      let cursor = try? JSONDecoder().decode(ListCursor.self, from: data),
      cursor.after.values.allSatisfy({ $0.utf8.count <= 200 })
    else { throw RPCError(.invalidArgument, "page_token: not a page token of this call") }
    let known = Set(partitions)
    guard Set(cursor.after.keys).isSubset(of: known), cursor.done.isSubset(of: known) else {
      throw RPCError(
        .invalidArgument,
        "page_token: the partitions of analytics changed since this listing began; list again")
    }
    return cursor
  }

  /// One page of `size` streams by id from the partitions' pages (each asked for `size` after
  /// its position in `cursor`).
  public static func list(
    _ parts: [PartitionFanout.Part<Ordp_Analytics_V1_ListDatastreamsResponse>],
    all: [String], cursor: ListCursor, size: Int
  ) throws -> Ordp_Analytics_V1_ListDatastreamsResponse {
    let (statuses, answered) = try PartitionFanout.statuses(parts, what: "analytics")
    var heads = [Int](repeating: 0, count: answered.count)
    var taken: [Ordp_Analytics_V1_Datastream] = []
    while taken.count < size {
      var best: Int? = nil
      for i in answered.indices where heads[i] < answered[i].value.datastreams.count {
        let id = answered[i].value.datastreams[heads[i]].id
        if let b = best,
          !id.utf8.lexicographicallyPrecedes(answered[b].value.datastreams[heads[b]].id.utf8)
        {
          continue
        }
        best = i
      }
      guard let b = best else { break }
      taken.append(answered[b].value.datastreams[heads[b]])
      heads[b] += 1
    }
    var next = cursor
    for (i, part) in answered.enumerated() {
      let streams = part.value.datastreams
      if heads[i] > 0 { next.after[part.name] = streams[heads[i] - 1].id }
      if heads[i] == streams.count, part.value.nextPageToken.isEmpty {
        next.done.insert(part.name)
        next.after.removeValue(forKey: part.name)
      }
    }
    var response = Ordp_Analytics_V1_ListDatastreamsResponse()
    response.datastreams = taken
    response.nextPageToken = all.allSatisfy { next.done.contains($0) } ? "" : encode(next)
    response.partitions = statuses
    return response
  }

  // MARK: - Aggregate

  /// Rows of one aggregate by (group, bucket start), their states merged across partitions.
  public struct AggregateRows: Sendable {
    struct Key: Hashable, Comparable {
      var group: String
      var start: Int64
      static func < (a: Key, b: Key) -> Bool {
        a.group != b.group
          ? a.group.utf8.lexicographicallyPrecedes(b.group.utf8) : a.start < b.start
      }
    }
    var rows: [Key: (end: Int64, state: AggregateState)] = [:]
    var accuracy: Double? = nil

    public init() {}

    /// Adds the rows of one partition's pages (asked with `partial`); INTERNAL when a
    /// partition's states do not check (the gateway trusts no answer blindly).
    public mutating func add(_ pages: [Ordp_Analytics_V1_AggregateResponse]) throws {
      for page in pages {
        if accuracy == nil { accuracy = page.relativeAccuracy }
        for row in page.rows {
          let state: AggregateState
          do {
            state = try AggregateState(partial: row.partial, expectedAccuracy: accuracy ?? 0.01)
          } catch {
            throw RPCError(
              .internal, "a partition answered an aggregate state that does not check: \(error)")
          }
          let key = Key(group: row.group, start: row.bucketStartMicros)
          if var existing = rows[key] {
            existing.state.merge(state)
            rows[key] = existing
          } else {
            rows[key] = (row.bucketEndMicros, state)
          }
        }
      }
    }

    /// The merged answer in pages of at most `pageRows` rows, ordered by group then bucket;
    /// the first page carries the accuracy and `statuses`.
    public func pages(
      functions: [Ordp_Analytics_V1_AggregateFunction], partial: Bool, pageRows: Int,
      statuses: [Ordp_Partition_V1_PartitionStatus]
    ) -> [Ordp_Analytics_V1_AggregateResponse] {
      var pages: [Ordp_Analytics_V1_AggregateResponse] = []
      var page = Ordp_Analytics_V1_AggregateResponse()
      page.relativeAccuracy = accuracy ?? 0.01
      page.partitions = statuses
      for key in rows.keys.sorted() {
        let (end, state) = rows[key]!
        var row = Ordp_Analytics_V1_AggregateRow()
        row.group = key.group
        row.bucketStartMicros = key.start
        row.bucketEndMicros = end
        row.values = functions.map { state.value(of: $0) }
        if partial { row.partial = state.partial }
        page.rows.append(row)
        if page.rows.count == pageRows {
          pages.append(page)
          page = Ordp_Analytics_V1_AggregateResponse()
        }
      }
      if !page.rows.isEmpty || pages.isEmpty { pages.append(page) }
      return pages
    }
  }
}
