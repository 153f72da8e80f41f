extension EmbeddingProgramBuilder {
    /// Rewrites the steps' value numbers into tensor slots, reusing a slot once its value is dead.
    ///
    /// A step never writes a slot it reads, except ReLU and affine, which run in place when their input dies
    /// with them. Returns the rewritten steps, the number of slots and the slot holding the network's output.
    func allocateSlots() -> (steps: [Step], slotCount: Int, outputSlot: Int) {
        var lastUse: [Int: Int] = [:]
        for (position, step) in steps.enumerated() {
            for value in Self.inputs(of: step.operation) { lastUse[value] = position }
        }
        let finalValue = Self.output(of: steps[steps.count - 1].operation)
        lastUse[finalValue] = steps.count

        var slotOf: [Int: Int] = [:]
        var free: [Int] = []
        var slotCount = 0
        var result: [Step] = []
        result.reserveCapacity(steps.count)
        for (position, step) in steps.enumerated() {
            let inputs = Self.inputs(of: step.operation)
            let output = Self.output(of: step.operation)
            let inPlace: Bool
            switch step.operation {
            case .relu(let input, _), .affine(_, _, _, let input, _): inPlace = lastUse[input] == position
            default: inPlace = false
            }
            if inPlace {
                slotOf[output] = slotOf[inputs[0]]
            } else if let slot = free.popLast() {
                slotOf[output] = slot
            } else {
                slotOf[output] = slotCount
                slotCount += 1
            }
            var rewritten = step
            rewritten.operation = Self.remap(step.operation) { slotOf[$0]! }
            result.append(rewritten)
            for value in Set(inputs) where lastUse[value] == position && !(inPlace && value == inputs[0]) {
                free.append(slotOf[value]!)
            }
            if lastUse[output] == nil { free.append(slotOf[output]!) }
        }
        return (result, slotCount, slotOf[finalValue]!)
    }

    static func inputs(of operation: Operation) -> [Int] {
        switch operation {
        case .input: []
        case .conv(_, let input, let residual, _): residual.map { [input, $0] } ?? [input]
        case .affine(_, _, _, let input, _), .relu(let input, _), .maxPool(_, let input, _),
             .avgPool(_, let input, _), .globalAveragePool(let input, _), .fc(_, _, let input, _): [input]
        case .add(let a, let b, _, _): [a, b]
        }
    }

    static func output(of operation: Operation) -> Int {
        switch operation {
        case .input(_, let output), .conv(_, _, _, let output), .affine(_, _, _, _, let output),
             .relu(_, let output), .maxPool(_, _, let output), .avgPool(_, _, let output),
             .globalAveragePool(_, let output), .add(_, _, _, let output), .fc(_, _, _, let output): output
        }
    }

    static func remap(_ operation: Operation, _ slot: (Int) -> Int) -> Operation {
        switch operation {
        case .input(let mean, let output):
            .input(mean: mean, output: slot(output))
        case .conv(let conv, let input, let residual, let output):
            .conv(conv, input: slot(input), residual: residual.map(slot), output: slot(output))
        case .affine(let scale, let shift, let perElement, let input, let output):
            .affine(scale: scale, shift: shift, perElement: perElement, input: slot(input), output: slot(output))
        case .relu(let input, let output):
            .relu(input: slot(input), output: slot(output))
        case .maxPool(let window, let input, let output):
            .maxPool(window, input: slot(input), output: slot(output))
        case .avgPool(let window, let input, let output):
            .avgPool(window, input: slot(input), output: slot(output))
        case .globalAveragePool(let input, let output):
            .globalAveragePool(input: slot(input), output: slot(output))
        case .add(let a, let b, let relu, let output):
            .add(slot(a), slot(b), relu: relu, output: slot(output))
        case .fc(let fc, let bias, let input, let output):
            .fc(fc, bias: bias, input: slot(input), output: slot(output))
        }
    }
}

extension EmbeddingProgramBuilder {
    /// The first step from which a batch runs all chips together (see `EmbeddingProgram.batchedFromFloats`) and
    /// the slots live across it; `steps.count` (nothing batched) when no step qualifies.
    static func batchBoundary(_ steps: [Step], outputSlot: Int) -> (Int, [(slot: Int, shape: ActivationShape)]) {
        for split in 1..<steps.count {
            // A slot is live across `split` when a step at or after it reads the slot before any step rewrites it.
            var live: [(slot: Int, shape: ActivationShape)] = []
            var decided = Set<Int>()
            for step in steps[split...] {
                for slot in inputs(of: step.operation) where !decided.contains(slot) {
                    decided.insert(slot)
                    guard let writer = steps[..<split].last(where: { output(of: $0.operation) == slot }) else {
                        continue
                    }
                    live.append((slot, writer.outputShape))
                }
                let written = output(of: step.operation)
                if !inputs(of: step.operation).contains(written) { decided.insert(written) }
            }
            if live.allSatisfy({ $0.shape.count <= EmbeddingProgram.batchedFromFloats }) {
                return (split, live)
            }
        }
        return (steps.count, [])
    }
}
