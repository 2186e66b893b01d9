import NIOCore
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPGateway
import ORDPRPC
import SwiftProtobuf
import Testing

/// A partition's search as the catalogue pages it: hits in order, a page token after each.
struct FakePartition {
  var partition: Topology.Partition
  var hits: [Ordp_Catalogue_V1_SearchHit]

  func page(after token: String, limit: Int) -> Ordp_Catalogue_V1_SearchResponse {
    let start = token.isEmpty ? 0 : Int(token)! + 1
    var r = Ordp_Catalogue_V1_SearchResponse()
    r.hits = Array(hits[min(start, hits.count)..<min(start + limit, hits.count)])
    if start + limit < hits.count { r.nextPageToken = String(start + limit - 1) }
    r.total = UInt64(hits.count)
    return r
  }
}

func hit(_ id: String, score: Double = 0, key: String) -> Ordp_Catalogue_V1_SearchHit {
  var h = Ordp_Catalogue_V1_SearchHit()
  h.dataset.id = id
  h.score = score
  h.sortKey = key
  return h
}

@Suite struct SearchMergeTests {
  /// Partitions with hits in `sort` order, each hit's page token its index.
  func partitions(
    _ lists: [[Ordp_Catalogue_V1_SearchHit]]
  ) -> [FakePartition] {
    lists.enumerated().map { i, hits in
      FakePartition(
        partition: .init(name: "p\(i)", towns: ["town-\(i)"], replicas: []),
        hits: hits.enumerated().map { j, h in
          var h = h
          h.pageToken = String(j)
          return h
        })
    }
  }

  /// Pages through the merged search to its end; the ids in the order given.
  func pageThrough(
    _ parts: [FakePartition], limit: Int, sort: Ordp_Catalogue_V1_SortOrder
  ) throws -> (ids: [String], pages: Int) {
    var token = ""
    var ids: [String] = []
    var pages = 0
    repeat {
      let cursor = try SearchMerge.decode(token, partitions: parts.map(\.partition.name))
      let asked = parts.filter { cursor.done[$0.partition.name] == nil }
      let merged = try SearchMerge.merge(
        asked.map {
          .init(
            partition: $0.partition,
            result: .success(
              $0.page(after: cursor.positions[$0.partition.name] ?? "", limit: limit)))
        }, all: parts.map(\.partition.name), cursor: cursor, limit: limit, sort: sort, facets: nil)
      #expect(merged.hits.count <= limit)
      #expect(merged.total == UInt64(parts.map(\.hits.count).reduce(0, +)))
      #expect(merged.hits.allSatisfy { $0.pageToken.isEmpty })
      ids += merged.hits.map(\.dataset.id)
      token = merged.nextPageToken
      pages += 1
    } while !token.isEmpty && pages < 100
    return (ids, pages)
  }

  @Test(arguments: [1, 3, 7, 20])
  func pagingAMergedSearchGivesEveryHitOnceInTheGlobalOrder(limit: Int) throws {
    // Newest first by modified time, spread unevenly over three partitions.
    var lists: [[Ordp_Catalogue_V1_SearchHit]] = [[], [], []]
    var all: [(Int64, String)] = []
    for n in 0..<40 {
      let modified = Int64(1_000 - n * 7 % 300)
      let p = (n * n) % 3
      all.append((modified, "d\(n)"))
      lists[p].append(hit("d\(n)", key: String(modified)))
    }
    for i in lists.indices { lists[i].sort { Int64($0.sortKey)! > Int64($1.sortKey)! } }
    let (ids, pages) = try pageThrough(partitions(lists), limit: limit, sort: .modified)
    #expect(ids.count == 40)
    #expect(Set(ids).count == 40)
    let keys = ids.map { id in all.first { $0.1 == id }!.0 }
    #expect(keys == keys.sorted(by: >))
    #expect(pages == (40 + limit - 1) / limit || pages == (40 + limit - 1) / limit + 1)
  }

  @Test func relevanceMergesByScoreThenModifiedAndTitleByFoldedTitle() throws {
    let relevance = partitions([
      [hit("a", score: 9, key: "9"), hit("b", score: 4, key: "4")],
      [hit("c", score: 8, key: "8"), hit("d", score: 4, key: "4"), hit("e", score: 1, key: "1")],
    ])
    #expect(
      try pageThrough(relevance, limit: 2, sort: .relevance).ids == ["a", "c", "b", "d", "e"])
    let title = partitions([
      [hit("x", key: "abend"), hit("y", key: "strasse")], [hit("z", key: "baum")],
    ])
    #expect(try pageThrough(title, limit: 10, sort: .title).ids == ["x", "z", "y"])
  }

  @Test func aFailedPartitionLeavesTheRestWithItsStatusAndNoPartitionIsUnavailable() throws {
    let parts = partitions([[hit("a", key: "5")], [hit("b", key: "4")]])
    let merged = try SearchMerge.merge(
      [
        .init(partition: parts[0].partition, result: .success(parts[0].page(after: "", limit: 5))),
        .init(partition: parts[1].partition, result: .failure(RPCError(.unavailable, "down"))),
      ], all: ["p0", "p1"], cursor: .init(), limit: 5, sort: .modified, facets: nil)
    #expect(merged.hits.map(\.dataset.id) == ["a"])
    #expect(merged.partitions.map(\.code) == [0, UInt32(StatusCode.unavailable.rawValue)])
    #expect(merged.partitions[1].towns == ["town-1"])
    // p0 is done, p1 is not: the next page asks p1 again from its start.
    let next = try SearchMerge.decode(merged.nextPageToken, partitions: ["p0", "p1"])
    #expect(next.done == ["p0": 1])
    #expect(next.positions["p1"] == nil)
    #expect(throws: RPCError.self) {
      try SearchMerge.merge(
        parts.map { .init(partition: $0.partition, result: .failure(RPCError(.unavailable, "x"))) },
        all: ["p0", "p1"], cursor: .init(), limit: 5, sort: .modified, facets: nil)
    }
  }

  @Test func facetCountsAreAddedPerValue() throws {
    func facet(_ values: [(String, UInt64)]) -> Ordp_Catalogue_V1_Facet {
      var f = Ordp_Catalogue_V1_Facet()
      f.field = "theme"
      f.values = values.map { v, c in
        .with {
          $0.value = v; $0.count = c
        }
      }
      return f
    }
    var a = Ordp_Catalogue_V1_SearchResponse()
    a.facets = [facet([("TRAN", 3), ("ENVI", 1)])]
    var b = Ordp_Catalogue_V1_SearchResponse()
    b.facets = [facet([("ENVI", 5), ("ECON", 1)])]
    let p = Topology.Partition(name: "p", towns: ["t"], replicas: [])
    let merged = try SearchMerge.merge(
      [.init(partition: p, result: .success(a)), .init(partition: p, result: .success(b))],
      all: ["p"], cursor: .init(), limit: 1, sort: .modified, facets: 2)
    #expect(merged.facets.first?.values.map(\.value) == ["ENVI", "TRAN"])
    #expect(merged.facets.first?.values.map(\.count) == [6, 3])
  }

  @Test func pageTokensFromElsewhereOrFromOtherPartitionsAreInvalidArguments() {
    for token in ["x", "m1.", "m1.!!!", "m1." + String(repeating: "A", count: 20_000)] {
      #expect(throws: RPCError.self) { try SearchMerge.decode(token, partitions: ["p0"]) }
    }
    let other = SearchMerge.encode(.init(positions: ["gone": "1"]))
    do {
      _ = try SearchMerge.decode(other, partitions: ["p0"])
      Issue.record("accepted")
    } catch let error as RPCError {
      #expect(error.code == .invalidArgument)
      #expect(error.message.contains("partitions changed"))
    } catch { Issue.record("\(error)") }
  }
}

@Suite struct PartitionRouteTests {
  typealias C = Ordp_Catalogue_V1_Catalogue.Method
  let towns = ["arnsberg": 0, "soest": 1]

  func route(_ method: MethodDescriptor, _ message: some SwiftProtobuf.Message) throws -> Route {
    try PartitionRoutes.route(
      method, request: ByteBuffer(bytes: try message.serializedBytes() as [UInt8]), partitions: 2,
      partitionOf: { towns[$0] })
  }

  @Test func writesGoToTheirTownsPartitionAndLookupsByIdEverywhere() throws {
    #expect(
      try route(
        C.createDataset,
        Ordp_Catalogue_V1_CreateDatasetRequest.with { $0.dataset.publisher = "soest" })
        == .partition(1))
    #expect(
      try route(
        C.getDataset, Ordp_Catalogue_V1_GetDatasetRequest.with { $0.id = "arnsberg/parken" })
        == .partition(0))
    #expect(
      try route(C.getDataset, Ordp_Catalogue_V1_GetDatasetRequest.with { $0.id = "9d3c" }) == .find)
    #expect(
      try route(C.withdrawDataset, Ordp_Catalogue_V1_WithdrawDatasetRequest.with { $0.id = "9d3c" })
        == .find)
    #expect(try route(C.search, Ordp_Catalogue_V1_SearchRequest()) == .scatter)
    #expect(
      try route(C.search, Ordp_Catalogue_V1_SearchRequest.with { $0.publishers = ["soest"] })
        == .partition(1))
    #expect(
      try route(
        C.search, Ordp_Catalogue_V1_SearchRequest.with { $0.publishers = ["soest", "arnsberg"] })
        == .scatter)
    // A town no partition holds (and no default): refused, not written somewhere.
    let error = try #require(
      statusOfRoute {
        try route(
          C.createDataset,
          Ordp_Catalogue_V1_CreateDatasetRequest.with { $0.dataset.publisher = "iserlohn" })
      })
    #expect(error.code == .failedPrecondition)
    // Undecodable bytes are the caller's mistake.
    let junk = try #require(
      statusOfRoute {
        try PartitionRoutes.route(
          C.getDataset, request: ByteBuffer(bytes: [0xFF, 0xFF, 0xFF]), partitions: 2,
          partitionOf: { towns[$0] })
      })
    #expect(junk.code == .invalidArgument)
  }

  @Test func withOnePartitionNothingIsDecoded() throws {
    #expect(
      try PartitionRoutes.route(
        C.createDataset, request: ByteBuffer(bytes: [0xFF, 0xFF]), partitions: 1,
        partitionOf: { _ in nil }) == .partition(0))
  }

  @Test func aLookupIsNotFoundOnlyWhenEveryPartitionSaidSo() throws {
    let p0 = Topology.Partition(name: "west", towns: ["arnsberg"], replicas: [])
    let p1 = Topology.Partition(name: "east", towns: ["soest"], replicas: [])
    typealias Part = PartitionFanout.Part<ByteBuffer>
    let answer = ByteBuffer(bytes: [1, 2, 3])
    #expect(
      try PartitionFanout.found([
        Part(partition: p0, result: .failure(RPCError(.notFound, "no"))),
        Part(partition: p1, result: .success(answer)),
      ]) == answer)
    let code = foundStatus
    #expect(
      code([
        Part(partition: p0, result: .failure(RPCError(.notFound, "no"))),
        Part(partition: p1, result: .failure(RPCError(.notFound, "no"))),
      ]).0 == .notFound)
    let down = code([
      Part(partition: p0, result: .failure(RPCError(.notFound, "no"))),
      Part(partition: p1, result: .failure(RPCError(.unavailable, "down"))),
    ])
    #expect(down.0 == .unavailable)
    #expect(down.1.contains("east (soest)"))
    #expect(
      code([
        Part(partition: p0, result: .failure(RPCError(.permissionDenied, "not yours"))),
        Part(partition: p1, result: .failure(RPCError(.notFound, "no"))),
      ]).0 == .permissionDenied)
  }
}

/// The status `PartitionFanout.found` ends with (nil when it found an answer).
func foundStatus(_ parts: [PartitionFanout.Part<ByteBuffer>]) -> (StatusCode?, String) {
  let result = Result { try PartitionFanout.found(parts) }
  guard case .failure(let error) = result, let rpc = error as? RPCError else { return (nil, "") }
  return (rpc.code, rpc.message)
}

func statusOfRoute(_ body: () throws -> Route) -> RPCError? {
  do {
    _ = try body()
    return nil
  } catch let error as RPCError { return error } catch { return nil }
}

@Suite struct IngestSplitTests {
  @Test func aBatchIsSplitByPartitionAndItsAcknowledgementsMergedBack() {
    var batch = Ordp_Analytics_V1_IngestBatch()
    batch.batchID = 42
    batch.series = ["a", "b", "c", "d"].map { id in .with { $0.datastreamID = id } }
    let partitions = [1, 0, 1, 0]
    let parts = IngestSplit.split(batch, batchID: 7) { partitions[$0] }
    #expect(parts.map(\.partition) == [0, 1])
    #expect(parts.map { $0.batch.series.map(\.datastreamID) } == [["b", "d"], ["a", "c"]])
    #expect(parts.map(\.origins) == [[1, 3], [0, 2]])
    #expect(parts.allSatisfy { $0.batch.batchID == 7 })
    var ack0 = Ordp_Analytics_V1_IngestAck()
    ack0.accepted = 5
    ack0.rejected = 1
    ack0.rejections = [
      .with {
        $0.seriesIndex = 1; $0.reason = .nonFinite
      }
    ]  // "d"
    var ack1 = Ordp_Analytics_V1_IngestAck()
    ack1.duplicates = 2
    ack1.rejected = 1
    ack1.rejections = [
      .with {
        $0.seriesIndex = 0; $0.reason = .unknownStream
      }
    ]  // "a"
    let merged = IngestSplit.merge(
      clientID: 42, [(ack0, parts[0].origins), (ack1, parts[1].origins)])
    #expect(merged.batchID == 42)
    #expect(merged.accepted == 5 && merged.duplicates == 2 && merged.rejected == 2)
    #expect(merged.rejections.map(\.seriesIndex) == [0, 3])
    #expect(merged.rejections.map(\.reason) == [.unknownStream, .nonFinite])
  }
}
