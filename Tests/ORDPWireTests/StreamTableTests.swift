import ORDPWire
import Testing

@Suite struct StreamTableTests {
  @Test func storesUpdatesAndRemovesAFewStreams() {
    var table = StreamTable<String>()
    #expect(table.isEmpty)
    table[1] = "a"
    table[3] = "b"
    table[5] = "c"
    #expect(table.count == 3)
    #expect(table[3] == "b")
    #expect(table[4] == nil)
    table[3] = "B"
    #expect(table[3] == "B")
    #expect(table.count == 3)
    #expect(table.removeValue(forKey: 1) == "a")
    #expect(table.removeValue(forKey: 1) == nil)
    // The last stream moved into the gap and is still found by its id.
    #expect(table[5] == "c")
    table[5] = nil
    #expect(Set(table.keys) == [3])
    #expect(Array(table).map(\.1) == ["B"])
    table.removeAll()
    #expect(table.isEmpty)
    table[7] = "d"
    #expect(table[7] == "d")
  }

  /// Against a dictionary as the model, through the switch to the index past `linearLimit`
  /// and back, with inserts, updates and removals in a pseudo-random order.
  @Test func agreesWithADictionaryAtEverySize() {
    var table = StreamTable<Int>()
    var model: [UInt32: Int] = [:]
    var rng = SplitMix64(seed: 42)
    var largest = 0
    var emptied = 0
    for step in 0..<20_000 {
      // Grow to about three times the limit, then shrink to nothing, twice.
      let phase = (step / 2_500) % 4
      let target = phase % 2 == 0 ? 3 * StreamTable<Int>.linearLimit : 0
      let id = UInt32(rng.next() % 200) + 1
      if model.count < target || (target > 0 && rng.next() % 3 == 0) {
        table[id] = step
        model[id] = step
      } else {
        #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
      }
      #expect(table.count == model.count)
      largest = max(largest, model.count)
      if model.isEmpty, step > 0 { emptied += 1 }
      let probe = UInt32(rng.next() % 200) + 1
      #expect(table[probe] == model[probe])
    }
    // The walk did reach sizes past the limit and came back down to empty.
    #expect(largest > 2 * StreamTable<Int>.linearLimit)
    #expect(emptied > 0)
    #expect(Dictionary(uniqueKeysWithValues: Array(table)) == model)
    #expect(Set(table.keys) == Set(model.keys))
  }
}
