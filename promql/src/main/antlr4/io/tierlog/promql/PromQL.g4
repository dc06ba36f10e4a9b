/*
 * PromQL, the subset Tierlog evaluates (docs/promql.md): number and string literals, instant and range vector
 * selectors with =, !=, =~, !~ and offset, function calls, aggregations with by/without before or after the
 * arguments, unary minus, and the binary operators with Prometheus' precedence (^ right-associative, then unary
 * minus, then * / % atan2, + -, comparisons with bool, and/unless, or) and vector matching (on, ignoring,
 * group_left, group_right). Written for Tierlog from the PromQL documentation; what is parsed but not evaluated
 * gets a clear error from the evaluator.
 */
grammar PromQL;

query : expr EOF ;

expr
    : <assoc=right> expr op=POW binModifiers expr                         # binary
    | op=(ADD | SUB) expr                                                  # unary
    | expr op=(MUL | DIV | MOD | ATAN2) binModifiers expr                  # binary
    | expr op=(ADD | SUB) binModifiers expr                                # binary
    | expr op=(EQ | NE | GT | LT | GE | LE) binModifiers expr              # binary
    | expr op=(AND | UNLESS) binModifiers expr                             # binary
    | expr op=OR binModifiers expr                                         # binary
    | LPAREN expr RPAREN                                                   # paren
    | NUMBER                                                               # number
    | STRING                                                               # string
    | aggregation                                                          # aggregate
    | IDENT LPAREN (expr (COMMA expr)*)? RPAREN                            # call
    | vectorSelector (LBRACKET DURATION RBRACKET)? offset?                 # selector
    ;

binModifiers : BOOL? (matching=(ON | IGNORING) labelList (side=(GROUP_LEFT | GROUP_RIGHT) labelList?)?)? ;

aggregation
    : AGGREGATOR grouping? LPAREN expr (COMMA expr)? RPAREN
    | AGGREGATOR LPAREN expr (COMMA expr)? RPAREN grouping
    ;

grouping : (BY | WITHOUT) labelList ;

labelList : LPAREN (labelName (COMMA labelName)* COMMA?)? RPAREN ;

vectorSelector
    : IDENT labelMatchers?
    | labelMatchers
    ;

labelMatchers : LBRACE (labelMatcher (COMMA labelMatcher)* COMMA?)? RBRACE ;

labelMatcher : labelName op=(ASSIGN | NE | RE | NRE) STRING ;

offset : OFFSET SUB? DURATION ;

// keywords are label names too inside braces and label lists
labelName
    : IDENT | AGGREGATOR | BY | WITHOUT | ON | IGNORING | GROUP_LEFT | GROUP_RIGHT | BOOL | OFFSET | AND | OR
    | UNLESS | ATAN2
    ;

AND options { caseInsensitive = true; } : 'and' ;
OR options { caseInsensitive = true; } : 'or' ;
UNLESS options { caseInsensitive = true; } : 'unless' ;
ATAN2 options { caseInsensitive = true; } : 'atan2' ;
BY options { caseInsensitive = true; } : 'by' ;
WITHOUT options { caseInsensitive = true; } : 'without' ;
ON options { caseInsensitive = true; } : 'on' ;
IGNORING options { caseInsensitive = true; } : 'ignoring' ;
GROUP_LEFT options { caseInsensitive = true; } : 'group_left' ;
GROUP_RIGHT options { caseInsensitive = true; } : 'group_right' ;
BOOL options { caseInsensitive = true; } : 'bool' ;
OFFSET options { caseInsensitive = true; } : 'offset' ;
AGGREGATOR options { caseInsensitive = true; }
    : 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'quantile'
    | 'count_values'
    ;

DURATION : ([0-9]+ ('ms' | [smhdwy]))+ ;
NUMBER
    : [0-9]+ ('.' [0-9]*)? EXPONENT?
    | '.' [0-9]+ EXPONENT?
    | '0' [xX] [0-9a-fA-F]+
    | [iI] [nN] [fF]
    | [nN] [aA] [nN]
    ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;

STRING
    : '"' (~["\\\n] | '\\' .)* '"'
    | '\'' (~['\\\n] | '\\' .)* '\''
    | '`' ~[`]* '`'
    ;

IDENT : [a-zA-Z_:] [a-zA-Z0-9_:]* ;

LPAREN : '(' ;
RPAREN : ')' ;
LBRACE : '{' ;
RBRACE : '}' ;
LBRACKET : '[' ;
RBRACKET : ']' ;
COMMA : ',' ;
EQ : '==' ;
NE : '!=' ;
RE : '=~' ;
NRE : '!~' ;
GE : '>=' ;
LE : '<=' ;
GT : '>' ;
LT : '<' ;
ASSIGN : '=' ;
ADD : '+' ;
SUB : '-' ;
MUL : '*' ;
DIV : '/' ;
MOD : '%' ;
POW : '^' ;

COMMENT : '#' ~[\r\n]* -> skip ;
WS : [ \t\r\n]+ -> skip ;
