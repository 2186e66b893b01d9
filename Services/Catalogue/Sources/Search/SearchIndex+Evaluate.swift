/// Answering a `CatalogueQuery` from the index: the same semantics as the SQL of
/// `CatalogueQuery` (the tests compare both on random queries).
extension SearchIndex {
  /// One hit of an evaluation: what the store must fetch, and what a merge needs.
  public struct Hit: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var revision: UInt64
    public var score: Int
    public var sortKey: String
  }

  public struct Result: Sendable {
    public var hits: [Hit]
    public var next: CatalogueQuery.Cursor?
    public var total: Int
    public var facets: [(field: String, values: [(String, Int)])]
  }

  /// Evaluates `query`; `scores` are the text matches (seq → score) when the query has words.
  public func evaluate(_ query: CatalogueQuery, scores: [Int64: Int]?, facets: Bool) -> Result {
    let order = query.effectiveOrder
    // A local struct, not variables captured by a closure: no dynamic exclusivity checks in
    // the loop over every dataset.
    var pass = Pass(
      filter: Filter(query: query, index: self), facets: facets, after: query.after,
      top: TopK(limit: query.limit + 1, order: order), index: self)
    hot.withUnsafeBufferPointer { hot in
      terms.withUnsafeBufferPointer { terms in
        let view = View(hot: hot, terms: terms, cold: cold)
        if let scores {
          for (seq, score) in scores {
            if let slot = slots[seq] { pass.consider(slot, score: score, in: view) }
          }
        } else {
          for slot in hot.indices { pass.consider(slot, score: 0, in: view) }
        }
      }
    }
    let (top, total) = (pass.top, pass.total)
    let (townCounts, licenseCounts) = (pass.townCounts, pass.licenseCounts)
    let (themeCounts, keywordCounts, formatCounts) = (
      pass.themeCounts, pass.keywordCounts, pass.formatCounts
    )
    let ordered = top.items
    let page = ordered.prefix(query.limit).map { candidate in
      let entry = cold[candidate.slot]
      return Hit(
        seq: hot[candidate.slot].seq, id: entry.id, revision: entry.revision,
        score: candidate.score,
        sortKey: candidate.sortKey(order, modified: hot[candidate.slot].modified, cold: entry))
    }
    var next: CatalogueQuery.Cursor?
    if ordered.count > query.limit, let last = page.last {
      next = CatalogueQuery.Cursor(order: query.orderName, key: last.sortKey, id: last.id)
    }
    var facetLists: [(field: String, values: [(String, Int)])] = []
    if facets {
      func list(_ counts: [Int], _ interner: Interner, skipEmpty: Bool) -> [(String, Int)] {
        var values: [(String, Int)] = []
        for (id, count) in counts.enumerated() where count > 0 {
          let shown = interner.display[id]
          if skipEmpty && shown.isEmpty { continue }
          values.append((shown, count))
        }
        values.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return Array(values.prefix(query.facetLimit))
      }
      facetLists = [
        ("publisher", list(townCounts, towns, skipEmpty: true)),
        ("license", list(licenseCounts, licenses, skipEmpty: true)),
        ("theme", list(themeCounts, themes, skipEmpty: false)),
        ("keyword", list(keywordCounts, keywords, skipEmpty: false)),
        ("format", list(formatCounts, formats, skipEmpty: false)),
      ]
    }
    return Result(hits: page, next: next, total: total, facets: facetLists)
  }

  /// One evaluation's running state: total, facet counts, the best hits so far.
  struct Pass {
    let filter: Filter
    let facets: Bool
    let after: CatalogueQuery.Cursor?
    var top: TopK
    var total = 0
    var townCounts: [Int]
    var licenseCounts: [Int]
    var themeCounts: [Int]
    var keywordCounts: [Int]
    var formatCounts: [Int]

    init(
      filter: Filter, facets: Bool, after: CatalogueQuery.Cursor?, top: TopK, index: SearchIndex
    ) {
      self.filter = filter
      self.facets = facets
      self.after = after
      self.top = top
      townCounts = [Int](repeating: 0, count: facets ? index.towns.count : 0)
      licenseCounts = [Int](repeating: 0, count: facets ? index.licenses.count : 0)
      themeCounts = [Int](repeating: 0, count: facets ? index.themes.count : 0)
      keywordCounts = [Int](repeating: 0, count: facets ? index.keywords.count : 0)
      formatCounts = [Int](repeating: 0, count: facets ? index.formats.count : 0)
    }

    mutating func consider(_ slot: Int, score: Int, in view: View) {
      let entry = view.hot[slot]
      guard filter.accepts(entry, slot: slot, in: view) else { return }
      total += 1
      if facets {
        townCounts[Int(entry.publisher)] += 1
        licenseCounts[Int(entry.license)] += 1
        var index = Int(entry.termStart)
        for _ in 0..<entry.themeCount {
          themeCounts[Int(view.terms[index])] += 1
          index += 1
        }
        for _ in 0..<entry.keywordCount {
          keywordCounts[Int(view.terms[index])] += 1
          index += 1
        }
        for _ in 0..<entry.formatCount {
          formatCounts[Int(view.terms[index])] += 1
          index += 1
        }
      }
      let candidate = TopK.Candidate(slot: slot, score: score)
      if let after, !candidate.isAfter(after, order: top.order, in: view) { return }
      top.insert(candidate, in: view)
    }
  }

  /// What an evaluation reads, without copying it.
  struct View {
    let hot: UnsafeBufferPointer<Hot>
    let terms: UnsafeBufferPointer<Int32>
    let cold: ContiguousArray<Cold>
  }

  /// A query's conditions with its values resolved to interned ids, as lookup tables.
  struct Filter {
    /// Indexed by access level (0...3).
    let visibleLevels: [Bool]?
    let memberOf: [Bool]
    let anyMember: Bool
    let publishers: [Bool]?
    let licenses: [Bool]?
    let accessLevels: [Bool]?
    let themes: [Bool]?
    let keywords: [Bool]?
    let formats: [Bool]?
    let modifiedFrom: Int64?
    let modifiedTo: Int64?
    let bbox: (west: Double, south: Double, east: Double, north: Double)?

    init(query: CatalogueQuery, index: SearchIndex) {
      func table(_ values: [String], _ interner: Interner) -> [Bool] {
        var table = [Bool](repeating: false, count: interner.count)
        for value in values { if let id = interner.lookup(value) { table[Int(id)] = true } }
        return table
      }
      func levels(_ values: [Int]) -> [Bool] {
        var table = [Bool](repeating: false, count: 4)
        for value in values where (0..<4).contains(value) { table[value] = true }
        return table
      }
      visibleLevels = query.visibleLevels.map(levels)
      memberOf = table(query.memberOf, index.towns)
      anyMember = memberOf.contains(true)
      publishers = query.publishers.isEmpty ? nil : table(query.publishers, index.towns)
      licenses = query.licenses.isEmpty ? nil : table(query.licenses, index.licenses)
      accessLevels = query.accessLevels.isEmpty ? nil : levels(query.accessLevels)
      themes = query.themes.isEmpty ? nil : table(query.themes, index.themes)
      keywords = query.keywords.isEmpty ? nil : table(query.keywords, index.keywords)
      formats = query.formats.isEmpty ? nil : table(query.formats, index.formats)
      modifiedFrom = query.modifiedFrom
      modifiedTo = query.modifiedTo
      bbox = query.bbox.map { ($0.west, $0.south, $0.east, $0.north) }
    }

    func level(_ table: [Bool], _ access: Int) -> Bool { (0..<4).contains(access) && table[access] }

    func accepts(_ entry: Hot, slot: Int, in view: View) -> Bool {
      if entry.withdrawn { return false }
      let access = Int(entry.access)
      if let visibleLevels, !level(visibleLevels, access) {
        guard access == 3, anyMember else { return false }
        guard
          memberOf[Int(entry.publisher)]
            || (entry.hasGrants && view.cold[slot].grants.contains(where: { memberOf[Int($0)] }))
        else { return false }
      }
      if let publishers, !publishers[Int(entry.publisher)] { return false }
      if let licenses, !licenses[Int(entry.license)] { return false }
      if let accessLevels, !level(accessLevels, access) { return false }
      let start = Int(entry.termStart)
      let themeEnd = start + Int(entry.themeCount)
      let keywordEnd = themeEnd + Int(entry.keywordCount)
      let formatEnd = keywordEnd + Int(entry.formatCount)
      if let themes, !(start..<themeEnd).contains(where: { themes[Int(view.terms[$0])] }) {
        return false
      }
      if let keywords,
        !(themeEnd..<keywordEnd).contains(where: { keywords[Int(view.terms[$0])] })
      {
        return false
      }
      if let formats, !(keywordEnd..<formatEnd).contains(where: { formats[Int(view.terms[$0])] }) {
        return false
      }
      if let modifiedFrom, entry.modified < modifiedFrom { return false }
      if let modifiedTo, entry.modified >= modifiedTo { return false }
      if let bbox {
        guard entry.hasBox, entry.west <= bbox.east, entry.east >= bbox.west,
          entry.south <= bbox.north, entry.north >= bbox.south
        else { return false }
      }
      return true
    }
  }

  /// The best `limit` candidates under an order, kept sorted as they arrive.
  struct TopK {
    struct Candidate {
      var slot: Int
      var score: Int

      /// Whether this candidate comes strictly before `other` in `order`.
      func precedes(_ other: Candidate, order: CatalogueQuery.Order, in view: View) -> Bool {
        let (a, b) = (view.hot[slot], view.hot[other.slot])
        // Ties go by dataset id (the same in every replica and partition; seq is not).
        func byID() -> Bool {
          view.cold[slot].id.utf8.lexicographicallyPrecedes(view.cold[other.slot].id.utf8)
        }
        switch order {
        case .relevance:
          return score != other.score ? score > other.score : byID()
        case .modified:
          return a.modified != b.modified ? a.modified > b.modified : byID()
        case .title:
          if a.titlePrefix != b.titlePrefix { return a.titlePrefix < b.titlePrefix }
          let x = view.cold[slot].titleSort.utf8
          let y = view.cold[other.slot].titleSort.utf8
          return !x.elementsEqual(y) ? x.lexicographicallyPrecedes(y) : byID()
        }
      }

      /// Whether this candidate comes after the cursor (on the next pages).
      func isAfter(
        _ cursor: CatalogueQuery.Cursor, order: CatalogueQuery.Order, in view: View
      )
        -> Bool
      {
        let entry = view.hot[slot]
        func afterID() -> Bool {
          cursor.id.utf8.lexicographicallyPrecedes(view.cold[slot].id.utf8)
        }
        switch order {
        case .relevance:
          let key = Int(cursor.key) ?? 0
          return score < key || (score == key && afterID())
        case .modified:
          let key = Int64(cursor.key) ?? 0
          return entry.modified < key || (entry.modified == key && afterID())
        case .title:
          let prefix = SearchIndex.prefix(cursor.key)
          if entry.titlePrefix != prefix { return entry.titlePrefix > prefix }
          let title = view.cold[slot].titleSort.utf8
          return cursor.key.utf8.lexicographicallyPrecedes(title)
            || (title.elementsEqual(cursor.key.utf8) && afterID())
        }
      }

      func sortKey(_ order: CatalogueQuery.Order, modified: Int64, cold: Cold) -> String {
        switch order {
        case .relevance: String(score)
        case .modified: String(modified)
        case .title: cold.titleSort
        }
      }
    }

    let limit: Int
    let order: CatalogueQuery.Order
    var items: [Candidate] = []

    init(limit: Int, order: CatalogueQuery.Order) {
      self.limit = limit
      self.order = order
      items.reserveCapacity(limit + 1)
    }

    mutating func insert(_ candidate: Candidate, in view: View) {
      if items.count == limit, let last = items.last,
        !candidate.precedes(last, order: order, in: view)
      {
        return
      }
      // Binary search for the position (items stay ordered).
      var low = 0
      var high = items.count
      while low < high {
        let middle = (low + high) / 2
        if items[middle].precedes(candidate, order: order, in: view) {
          low = middle + 1
        } else {
          high = middle
        }
      }
      items.insert(candidate, at: low)
      if items.count > limit { items.removeLast() }
    }
  }
}
