/// Where new observations of one stream go among its stored blocks, and which of them are new.
/// A stream's blocks do not overlap in time and hold at most `capacity` observations each. A
/// new point goes to the block with the greatest start at or before it (before the first
/// block: into the first); a point whose time a block already holds is a duplicate and leaves
/// the block as it was (the stored value wins: a replay changes nothing). Appends fill the last
/// block up to capacity and continue in new blocks; a block overflowing from points in its
/// middle is split into even parts. I/O-free.
public enum BlockMerge {
  public struct StoredBlock: Sendable {
    public var id: Int64
    public var columns: ObservationColumns

    public init(id: Int64, columns: ObservationColumns) {
      self.id = id
      self.columns = columns
    }
  }

  public struct Result: Sendable {
    /// Blocks whose contents change (id and new contents).
    public var replaced: [(id: Int64, columns: ObservationColumns)] = []
    /// New blocks.
    public var inserted: [ObservationColumns] = []
    /// The new observations actually stored (not duplicates), sorted by time.
    public var added = ObservationColumns()
    public var duplicates = 0
  }

  /// - Parameters:
  ///   - blocks: the stream's blocks that new points may fall into, sorted by start: every
  ///     block from the last one starting at or before the earliest new point through the
  ///     last one starting at or before the latest (or the stream's first block when the
  ///     earliest new point precedes all).
  ///   - new: the new observations, sorted by time, times unique.
  public static func merge(
    blocks: [StoredBlock], new: ObservationColumns, capacity: Int
  ) -> Result {
    var result = Result()
    guard new.count > 0 else { return result }
    var position = 0
    for (index, block) in blocks.enumerated() {
      // Points up to (not including) the next block's start belong to this block.
      let limit = index + 1 < blocks.count ? blocks[index + 1].columns.times.first! : .max
      var end = position
      while end < new.count && new.times[end] < limit { end += 1 }
      if end > position {
        place(new.slice(position..<end), into: block, capacity: capacity, &result)
      }
      position = end
    }
    if position < new.count {
      // No block at all: new blocks.
      let rest = new.slice(position..<new.count)
      result.added = concatenate(result.added, rest)
      for chunk in chunks(rest.count, capacity) { result.inserted.append(rest.slice(chunk)) }
    }
    return result
  }

  static func place(
    _ points: ObservationColumns, into block: StoredBlock, capacity: Int, _ result: inout Result
  ) {
    let stored = block.columns
    if let last = stored.times.last, points.times[0] > last {
      // Append: fill the block, then new blocks.
      result.added = concatenate(result.added, points)
      let room = max(0, capacity - stored.count)
      let filled = min(room, points.count)
      if filled > 0 {
        result.replaced.append(
          (block.id, concatenate(stored, points.slice(0..<filled))))
      }
      if filled < points.count {
        let rest = points.slice(filled..<points.count)
        for chunk in chunks(rest.count, capacity) { result.inserted.append(rest.slice(chunk)) }
      }
      return
    }
    // Merge, the stored point winning on equal times.
    var merged = ObservationColumns()
    merged.times.reserveCapacity(stored.count + points.count)
    merged.results.reserveCapacity(stored.count + points.count)
    var added = ObservationColumns()
    var i = 0
    var j = 0
    while i < stored.count || j < points.count {
      if j == points.count || (i < stored.count && stored.times[i] < points.times[j]) {
        merged.append(from: stored, i)
        i += 1
      } else if i == stored.count || points.times[j] < stored.times[i] {
        merged.append(from: points, j)
        added.append(from: points, j)
        j += 1
      } else {
        merged.append(from: stored, i)
        result.duplicates += 1
        i += 1
        j += 1
      }
    }
    guard added.count > 0 else { return }
    result.added = concatenate(result.added, added)
    let parts = chunks(merged.count, capacity)
    result.replaced.append((block.id, merged.slice(parts[0])))
    for part in parts.dropFirst() { result.inserted.append(merged.slice(part)) }
  }

  /// `count` items in the fewest parts of at most `capacity`, as even as possible.
  static func chunks(_ count: Int, _ capacity: Int) -> [Range<Int>] {
    guard count > 0 else { return [] }
    let parts = (count + capacity - 1) / capacity
    let size = count / parts
    let larger = count % parts
    var ranges: [Range<Int>] = []
    var start = 0
    for part in 0..<parts {
      let length = size + (part < larger ? 1 : 0)
      ranges.append(start..<(start + length))
      start += length
    }
    return ranges
  }

  static func concatenate(
    _ a: ObservationColumns, _ b: ObservationColumns
  )
    -> ObservationColumns
  {
    guard a.count > 0 else { return b }
    var joined = a
    if a.qualities.isEmpty && b.qualities.isEmpty {
      joined.times.append(contentsOf: b.times)
      joined.results.append(contentsOf: b.results)
      return joined
    }
    for index in 0..<b.count { joined.append(from: b, index) }
    return joined
  }
}
