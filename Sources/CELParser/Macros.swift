import CELCommon

/// Expansion of the standard macros into comprehensions, following the CEL spec and
/// cel-go. A macro is recognised by name, call style and argument count; anything else
/// (e.g. `list.map(x)` with one argument) stays an ordinary call.
///
/// The comprehension keeps the id and range of the call it replaces. Nodes the
/// expansion adds (the accumulator, its initial value, the step operators) get fresh
/// ids and the range of the whole call, or of the predicate they wrap.
extension Parser {
    /// `has(a.b)` becomes the presence test `a.b` with `testOnly`.
    func expandGlobalMacro(function: String, args: [Expr], id: Int32, range: TextRange) -> Expr? {
        guard function == "has", args.count == 1 else { return nil }
        guard case .select(let operand, let field, false) = args[0].kind else {
            issues.add(ParserMessages.hasNeedsSelection(at: args[0].range))
            return nil
        }
        return Expr(id: id, .select(operand: operand, field: field, testOnly: true), range: range)
    }

    func expandReceiverMacro(target: Expr, function: String, args: [Expr], id: Int32, range: TextRange) -> Expr? {
        switch (function, args.count) {
        case ("all", 2), ("exists", 2), ("exists_one", 2), ("map", 2), ("map", 3), ("filter", 2):
            break
        default:
            return nil
        }
        guard let variable = iterationVariable(args[0], macro: function) else { return nil }
        let accumulator = CELParser.accumulatorVariable
        let builder = ExpansionBuilder(parser: self, range: range)

        let accuInit: Expr
        let loopCondition: Expr
        let loopStep: Expr
        let result: Expr
        switch function {
        case "all":
            // Stops as soon as the result is definitely false; errors are absorbed when
            // another element makes the answer false (commutative `&&`).
            accuInit = builder.constant(.bool(true))
            loopCondition = builder.call(Operator.notStrictlyFalse, [builder.accumulator()])
            loopStep = builder.call(Operator.logicalAnd, [builder.accumulator(), args[1]], range: args[1].range)
            result = builder.accumulator()
        case "exists":
            accuInit = builder.constant(.bool(false))
            loopCondition = builder.call(
                Operator.notStrictlyFalse, [builder.call(Operator.logicalNot, [builder.accumulator()])])
            loopStep = builder.call(Operator.logicalOr, [builder.accumulator(), args[1]], range: args[1].range)
            result = builder.accumulator()
        case "exists_one":
            accuInit = builder.constant(.int(0))
            loopCondition = builder.constant(.bool(true))
            loopStep = builder.call(
                Operator.conditional,
                [args[1], builder.call(Operator.add, [builder.accumulator(), builder.constant(.int(1))]),
                 builder.accumulator()],
                range: args[1].range)
            result = builder.call(Operator.equals, [builder.accumulator(), builder.constant(.int(1))])
        case "map":
            let transform = args.count == 3 ? args[2] : args[1]
            accuInit = builder.list([])
            loopCondition = builder.constant(.bool(true))
            let append = builder.call(
                Operator.add, [builder.accumulator(), builder.list([transform])], range: transform.range)
            if args.count == 3 {
                loopStep = builder.call(
                    Operator.conditional, [args[1], append, builder.accumulator()], range: args[1].range)
            } else {
                loopStep = append
            }
            result = builder.accumulator()
        default:  // filter
            accuInit = builder.list([])
            loopCondition = builder.constant(.bool(true))
            // The variable's own ident node is reused as the appended element.
            let append = builder.call(Operator.add, [builder.accumulator(), builder.list([args[0]])])
            loopStep = builder.call(Operator.conditional, [args[1], append, builder.accumulator()], range: args[1].range)
            result = builder.accumulator()
        }
        let comprehension = Comprehension(
            iterVar: variable, iterRange: target, accuVar: accumulator, accuInit: accuInit,
            loopCondition: loopCondition, loopStep: loopStep, result: result, macro: function)
        return Expr(id: id, .comprehension(comprehension), range: range)
    }

    /// The macro's variable: a plain identifier that is not the accumulator's name.
    private func iterationVariable(_ argument: Expr, macro: String) -> String? {
        guard case .ident(let name) = argument.kind, !name.hasPrefix(".") else {
            issues.add(ParserMessages.macroVariableNotSimple(macro: macro, at: argument.range))
            return nil
        }
        guard name != CELParser.accumulatorVariable else {
            issues.add(ParserMessages.macroVariableShadowsAccumulator(macro: macro, name: name, at: argument.range))
            return nil
        }
        return name
    }
}

/// Builds the nodes a macro expansion adds.
private struct ExpansionBuilder {
    let parser: Parser
    let range: TextRange

    func accumulator() -> Expr {
        Expr(id: parser.makeID(), .ident(CELParser.accumulatorVariable), range: range)
    }

    func constant(_ value: Constant) -> Expr {
        Expr(id: parser.makeID(), .constant(value), range: range)
    }

    func list(_ elements: [Expr]) -> Expr {
        Expr(id: parser.makeID(), .list(elements: elements), range: elements.first?.range ?? range)
    }

    func call(_ function: String, _ args: [Expr], range: TextRange? = nil) -> Expr {
        Expr(id: parser.makeID(), .call(target: nil, function: function, args: args), range: range ?? self.range)
    }
}
