public import ORDPAnalyticsAPI

/// Merges the raw observation pages of several analytics partitions into the pages one
/// instance holding every town would send: ordered by stream id, then time, at most
/// `pageSize` observations a page, each page's cursor right after its last observation (the
/// service's own cursor: streams are unique across partitions, so one cursor says where the
/// read stands in each), the last page's cursor empty. A k-way merge that asks a partition for
/// its next page only when the merge has used up the one it holds (at most one page per
/// partition held). I/O-free: `ObservationScatter` fetches what `next()` asks for.
public struct ObservationMerge: Sendable {
  /// What the merge needs next.
  public enum Step: Equatable, Sendable {
    /// A page of each of these partitions, from the cursor given for each.
    case fetch([Fetch])
    /// A page for the caller; `last`: the read is complete with it.
    case page(Ordp_Analytics_V1_ObservationPage, last: Bool)
  }

  public struct Fetch: Equatable, Sendable {
    public var partition: Int
    public var cursor: String
  }

  private struct Source {
    /// The page held: its series from `series`, observations of `series[series]` from `offset`.
    var page: [Ordp_Analytics_V1_Series] = []
    var series = 0
    var offset = 0
    /// Where the partition's next page starts; nil when it has sent its last page.
    var next: String?

    var head: Ordp_Analytics_V1_Series? {
      series < page.count ? page[series] : nil
    }
  }

  let pageSize: Int
  private var sources: [Source]
  private var out = Ordp_Analytics_V1_ObservationPage()
  private var inPage = 0
  private var finished = false

  /// A merge of `partitions` partitions' reads from the caller's `cursor`.
  public init(partitions: Int, pageSize: Int, cursor: String) {
    self.pageSize = max(1, pageSize)
    self.sources = Array(repeating: Source(next: cursor), count: partitions)
  }

  /// Partition `partition`'s page, fetched as `next()` asked. False when the page cannot be a
  /// page of the service's: empty but not its last (asking again from the same place would
  /// never end), or with a series whose columns disagree.
  public mutating func received(
    _ page: Ordp_Analytics_V1_ObservationPage, from partition: Int
  ) -> Bool {
    guard sources.indices.contains(partition) else { return false }
    // Empty series carry nothing to merge.
    let series = page.series.filter { !$0.timesMicros.isEmpty }
    guard !series.isEmpty || page.cursor.isEmpty,
      series.allSatisfy({
        $0.results.count == $0.timesMicros.count
          && ($0.qualities.isEmpty || $0.qualities.count == $0.timesMicros.count)
      })
    else { return false }
    sources[partition].page = series
    sources[partition].series = 0
    sources[partition].offset = 0
    sources[partition].next = page.cursor.isEmpty ? nil : page.cursor
    return true
  }

  /// The next step; after a `.page(_, last: true)` there is none (nil).
  public mutating func next() -> Step? {
    if finished { return nil }
    while true {
      // A partition whose page is used up and that has more must be asked before anything
      // else can be taken: its next stream may come first.
      let wanted = sources.indices.compactMap { index -> Fetch? in
        guard sources[index].head == nil, let next = sources[index].next else { return nil }
        return Fetch(partition: index, cursor: next)
      }
      if !wanted.isEmpty { return .fetch(wanted) }
      var first: Int? = nil
      for index in sources.indices {
        guard let head = sources[index].head else { continue }
        if let f = first, let best = sources[f].head, !(head.datastreamID < best.datastreamID) {
          continue
        }
        first = index
      }
      guard let from = first else {
        finished = true
        let page = out
        out = Ordp_Analytics_V1_ObservationPage()
        return .page(page, last: true)
      }
      take(from: from)
      if inPage == pageSize {
        var page = out
        if let last = page.series.last, let time = last.timesMicros.last {
          page.cursor = ObservationCursor(stream: last.datastreamID, time: time).token
        }
        out = Ordp_Analytics_V1_ObservationPage()
        inPage = 0
        return .page(page, last: false)
      }
    }
  }

  /// Moves observations of source `index`'s head series into the page being built, up to the
  /// page's room.
  private mutating func take(from index: Int) {
    let source = sources[index]
    guard let head = source.head else { return }
    let count = min(head.timesMicros.count - source.offset, pageSize - inPage)
    let range = source.offset..<(source.offset + count)
    if out.series.last?.datastreamID != head.datastreamID {
      var series = Ordp_Analytics_V1_Series()
      series.datastreamID = head.datastreamID
      out.series.append(series)
    }
    let last = out.series.count - 1
    // Qualities, as the service sends them: none when all are 0, else one per observation.
    let before = out.series[last].timesMicros.count
    let qualities = head.qualities.count == head.timesMicros.count
    if qualities && out.series[last].qualities.isEmpty && before > 0 {
      out.series[last].qualities = Array(repeating: 0, count: before)
    }
    out.series[last].timesMicros += head.timesMicros[range]
    out.series[last].results += head.results[range]
    if qualities {
      out.series[last].qualities += head.qualities[range]
    } else if !out.series[last].qualities.isEmpty {
      out.series[last].qualities += Array(repeating: 0, count: count)
    }
    inPage += count
    if range.upperBound == head.timesMicros.count {
      sources[index].series += 1
      sources[index].offset = 0
    } else {
      sources[index].offset = range.upperBound
    }
  }
}
