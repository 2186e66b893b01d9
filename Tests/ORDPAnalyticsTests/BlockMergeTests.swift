import ORDPAnalytics
import ORDPWire
import Testing

/// Observation blocks: where new points go, what counts as a duplicate, block invariants.
@Suite struct BlockMergeTests {
  /// An in-memory stream of blocks driven the way the SQLite store drives it.
  struct Stream {
    var blocks: [(id: Int64, columns: ObservationColumns)] = []
    var nextID: Int64 = 1
    let capacity: Int

    /// The blocks the store loads for new points in [first, last].
    func candidates(_ first: Int64, _ last: Int64) -> [BlockMerge.StoredBlock] {
      let sorted = blocks.sorted { $0.columns.times[0] < $1.columns.times[0] }
      let predecessor = sorted.last { $0.columns.times[0] <= first }?.columns.times[0] ?? .min
      return sorted.filter { $0.columns.times[0] >= predecessor && $0.columns.times[0] <= last }
        .map { BlockMerge.StoredBlock(id: $0.id, columns: $0.columns) }
    }

    mutating func write(_ new: ObservationColumns) -> BlockMerge.Result {
      let result = BlockMerge.merge(
        blocks: candidates(new.times.first!, new.times.last!), new: new, capacity: capacity)
      for (id, columns) in result.replaced {
        blocks[blocks.firstIndex { $0.id == id }!].columns = columns
      }
      for columns in result.inserted {
        blocks.append((nextID, columns))
        nextID += 1
      }
      return result
    }

    var all: [Int64: Double] {
      var result: [Int64: Double] = [:]
      for block in blocks {
        for (time, value) in zip(block.columns.times, block.columns.results) {
          #expect(result[time] == nil, "time \(time) stored twice")
          result[time] = value
        }
      }
      return result
    }

    /// Blocks sorted, within capacity, not overlapping.
    func checkInvariants() {
      let sorted = blocks.map(\.columns).sorted { $0.times[0] < $1.times[0] }
      for (index, block) in sorted.enumerated() {
        #expect(block.count > 0 && block.count <= capacity)
        #expect(zip(block.times, block.times.dropFirst()).allSatisfy { $0 < $1 })
        if index > 0 { #expect(sorted[index - 1].times.last! < block.times[0]) }
      }
    }
  }

  static func columns(
    _ times: [Int64], value: (Int64) -> Double = { Double($0) }
  )
    -> ObservationColumns
  {
    ObservationColumns(times: times, results: times.map(value))
  }

  @Test func appendsFillTheLastBlockThenStartNewOnes() {
    var stream = Stream(capacity: 100)
    let first = stream.write(Self.columns(Array(0..<70)))
    #expect(first.inserted.count == 1 && first.added.count == 70 && first.duplicates == 0)
    let second = stream.write(Self.columns(Array(70..<200)))
    // The first block is filled to 100, the other 100 go to one new block.
    #expect(second.replaced.count == 1 && second.replaced[0].columns.count == 100)
    #expect(second.inserted.map(\.count) == [100])
    stream.checkInvariants()
    #expect(stream.all.count == 200)
  }

  @Test func replaysAreDuplicatesAndChangeNothing() {
    var stream = Stream(capacity: 64)
    _ = stream.write(Self.columns(Array(stride(from: 0, to: 1000, by: 2))))
    let before = stream.blocks.map(\.columns)
    let replay = stream.write(Self.columns(Array(stride(from: 0, to: 1000, by: 2))) { _ in -1 })
    #expect(replay.duplicates == 500 && replay.added.count == 0)
    #expect(replay.replaced.isEmpty && replay.inserted.isEmpty)
    #expect(stream.blocks.map(\.columns) == before)
    #expect(stream.all[10] == 10)
  }

  /// Random batches (appends, late points, replays, points before everything) against a
  /// dictionary model: contents, counts and invariants always agree.
  @Test func randomBatchesAgreeWithAModel() {
    var random = SplitMix64(seed: 42)
    var stream = Stream(capacity: 50)
    var model: [Int64: Double] = [:]
    var frontier: Int64 = 10_000
    for round in 0..<300 {
      var times = Set<Int64>()
      let count = Int(random.next() % 120) + 1
      for _ in 0..<count {
        switch random.next() % 4 {
        case 0: times.insert(frontier + Int64(random.next() % 500))  // append
        case 1: times.insert(Int64(random.next() % UInt64(frontier)))  // late
        case 2: if let known = model.keys.randomElement(using: &random) { times.insert(known) }
        default: times.insert(-Int64(random.next() % 5000))  // before everything
        }
      }
      let sorted = times.sorted()
      let batch = Self.columns(sorted) { Double($0) + Double(round) / 1000 }
      let result = stream.write(batch)
      let duplicates = sorted.filter { model[$0] != nil }.count
      #expect(result.duplicates == duplicates && result.added.count == sorted.count - duplicates)
      for (time, value) in zip(batch.times, batch.results) where model[time] == nil {
        model[time] = value
      }
      frontier = max(frontier, (sorted.last ?? 0) + 1)
    }
    stream.checkInvariants()
    #expect(stream.all == model)
  }

  @Test func blocksAndStatesRoundTripThroughTheirCodecs() throws {
    let plain = ObservationColumns(times: [1, 5, 9], results: [0.5, -2, .pi])
    #expect(try BlockCodec.decode(BlockCodec.encode(plain)) == plain)
    let flagged = ObservationColumns(
      times: [1, 5, 9], results: [0.5, -2, .pi], qualities: [0, 7, 0])
    #expect(try BlockCodec.decode(BlockCodec.encode(flagged)) == flagged)
    #expect(ObservationColumns(times: [1], results: [1], qualities: [0]).qualities.isEmpty)
    let encoded = BlockCodec.encode(flagged)
    #expect(throws: BlockCodec.Malformed.self) { try BlockCodec.decode(Array(encoded.dropLast())) }
    #expect(throws: BlockCodec.Malformed.self) { try BlockCodec.decode([9, 0, 0, 0, 0, 0]) }

    var state = AggregateState()
    for (index, value) in [3.5, -1e6, 0, 42, 1e-12, 7e9].enumerated() {
      state.add(time: Int64(index) * 1000, value: value)
    }
    let decoded = try StateCodec.decode(StateCodec.encode(state))
    #expect(decoded == state)
    #expect(throws: StateCodec.Malformed.self) {
      try StateCodec.decode(Array(StateCodec.encode(state).dropLast(2)))
    }
    // Quantiles stay within the exact extremes.
    var narrow = AggregateState()
    for value in [459.44, 459.0, 458.2, 459.1] { narrow.add(time: 0, value: value) }
    #expect(narrow.value(of: .p99) <= 459.44 && narrow.value(of: .p50) >= 458.2)
    #expect(narrow.sketch.quantile(0.99)! > 459.44)
    let restored = try AggregateState(partial: state.partial)
    #expect(restored == state)
    var forged = state.partial
    forged.count += 1
    #expect(throws: AggregateState.InvalidPartial.self) { try AggregateState(partial: forged) }
  }
}
