import ORDPAnalyticsAPI
import ORDPGateway
import Testing

/// The raw-read merge against a model of the partitions: each serves pages of its streams from
/// a cursor, as the service does; the merge must give one instance's pages.
struct ObservationMergeTests {
  /// A partition's observations: stream id → (time, result, quality), times ascending.
  typealias Data = [String: [(Int64, Double, UInt32)]]

  /// The page a partition sends first from `cursor`, `size` observations at most (the model
  /// of `ReadObservations`: streams by id, then time; qualities only when one is not 0).
  static func firstPage(
    _ data: Data, cursor: String, size: Int
  ) throws
    -> Ordp_Analytics_V1_ObservationPage
  {
    let after = try ObservationCursor(cursor)
    var page = Ordp_Analytics_V1_ObservationPage()
    var count = 0
    for id in data.keys.sorted() {
      if let after, id < after.stream { continue }
      var series = Ordp_Analytics_V1_Series()
      series.datastreamID = id
      for (time, result, quality) in data[id]! {
        if let after, id == after.stream, time <= after.time { continue }
        guard count < size else { break }
        series.timesMicros.append(time)
        series.results.append(result)
        series.qualities.append(quality)
        count += 1
      }
      if series.qualities.allSatisfy({ $0 == 0 }) { series.qualities = [] }
      if !series.timesMicros.isEmpty { page.series.append(series) }
      if count == size {
        page.cursor = ObservationCursor(stream: id, time: series.timesMicros.last!).token
        return page
      }
    }
    return page
  }

  static func flatten(_ pages: [Ordp_Analytics_V1_ObservationPage]) -> [String] {
    pages.flatMap { page in
      page.series.flatMap { s in
        s.timesMicros.indices.map {
          "\(s.datastreamID) \(s.timesMicros[$0]) \(s.results[$0]) \(s.qualities.isEmpty ? 0 : s.qualities[$0])"
        }
      }
    }
  }

  static func merged(
    _ partitions: [Data], size: Int, cursor: String = ""
  ) throws
    -> [Ordp_Analytics_V1_ObservationPage]
  {
    var merge = ObservationMerge(partitions: partitions.count, pageSize: size, cursor: cursor)
    var pages: [Ordp_Analytics_V1_ObservationPage] = []
    var steps = 0
    while let step = merge.next() {
      steps += 1
      guard steps < 10_000 else { throw CancellationError() }
      switch step {
      case .page(let page, _): pages.append(page)
      case .fetch(let fetches):
        for fetch in fetches {
          let received = merge.received(
            try firstPage(partitions[fetch.partition], cursor: fetch.cursor, size: size),
            from: fetch.partition)
          #expect(received)
        }
      }
    }
    return pages
  }

  @Test func theMergeGivesOneInstancesPagesAndCursors() throws {
    // Streams interleaved by id across the partitions; qualities set only in some.
    let west: Data = [
      "a": (1...5).map { (Int64($0), Double($0), 0) },
      "c": (1...3).map { (Int64($0), Double($0) * 10, $0 == 2 ? 7 : 0) },
      "e": [],
    ]
    let east: Data = [
      "b": (1...4).map { (Int64($0), -Double($0), 0) },
      "d": (1...6).map { (Int64($0), 0.5, 1) },
    ]
    var whole = west
    whole.merge(east) { a, _ in a }
    for size in [1, 2, 3, 4, 7, 100] {
      let pages = try Self.merged([west, east], size: size)
      let one = try Self.merged([whole], size: size)
      #expect(Self.flatten(pages) == Self.flatten(one), "page size \(size)")
      #expect(Self.flatten(pages).count == 18)
      #expect(pages.map(\.cursor) == one.map(\.cursor), "page size \(size)")
      #expect(pages.dropLast().allSatisfy { Self.flatten([$0]).count == size })
      #expect(pages.last?.cursor == "")
      // Each stream once per page, qualities either none or one per observation.
      for page in pages {
        #expect(Set(page.series.map(\.datastreamID)).count == page.series.count)
        #expect(
          page.series.allSatisfy {
            $0.qualities.isEmpty || $0.qualities.count == $0.timesMicros.count
          })
      }
      // Resumed from every page's cursor: the rest.
      var taken = 0
      for page in pages.dropLast() {
        taken += Self.flatten([page]).count
        let rest = try Self.merged([west, east], size: size, cursor: page.cursor)
        #expect(Self.flatten(rest) == Array(Self.flatten(pages).dropFirst(taken)))
      }
    }
  }

  @Test func noPartitionsOrNothingToReadEndsWithOneEmptyPage() throws {
    let pages = try Self.merged([[:], ["x": []]], size: 5)
    #expect(pages.count == 1)
    #expect(pages.first?.series.isEmpty == true)
    #expect(pages.first?.cursor == "")
  }

  @Test func aPageNoServiceWouldSendIsRefused() {
    var merge = ObservationMerge(partitions: 2, pageSize: 10, cursor: "")
    guard case .fetch(let fetches)? = merge.next() else {
      Issue.record("the merge did not ask the partitions first")
      return
    }
    #expect(fetches.map(\.partition) == [0, 1])
    // Empty but with a cursor: asking again from there would never end.
    let emptyWithCursor = merge.received(.with { $0.cursor = "MTo1OmE=" }, from: 0)
    #expect(!emptyWithCursor)
    // Columns that disagree.
    let bad = Ordp_Analytics_V1_ObservationPage.with {
      $0.series = [
        .with {
          $0.datastreamID = "a"
          $0.timesMicros = [1, 2]
          $0.results = [1]
        }
      ]
    }
    let disagreeing = merge.received(bad, from: 1)
    #expect(!disagreeing)
    let unknownPartition = merge.received(.init(), from: 7)
    #expect(!unknownPartition)
    let last = merge.received(.init(), from: 0)
    #expect(last)
  }
}
