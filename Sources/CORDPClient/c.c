int ordp_placeholder(void){return 0;}
